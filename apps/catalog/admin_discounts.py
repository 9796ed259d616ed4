"""Dashboard → Product catalog: coupons, promotion codes and FX rates (entered or imported);
registered by ``admin.py``."""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from unfold.decorators import action, display

from apps.accounts import roles
from apps.accounts.dashboard.admin_base import ObjectHistoryMixin
from apps.accounts.dashboard.badges import STATUS_VARIANTS
from apps.catalog.admin_common import CatalogAdmin, form_submit
from apps.catalog.forms import (
    CouponForm,
    FxImportForm,
    FxRateForm,
    PromotionCodeForm,
)
from apps.catalog.models import Coupon, FxRate, PromotionCode
from apps.catalog.render import coupon_valid
from apps.catalog.selectors import coupon_get
from apps.catalog.services import (
    NewPromotionCode,
    coupon_create,
    fx_rate_set,
    fx_rates_import,
    promotion_code_create,
    rate_row,
)
from apps.core import money


class CouponAdmin(ObjectHistoryMixin, CatalogAdmin):
    list_display = ("coupon_id", "name", "terms", "duration", "times_redeemed", "valid_badge")
    search_fields = ("=coupon_id", "name")
    actions_list = ("create_coupon",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(deleted_at__isnull=True)

    @display(description="Terms")
    def terms(self, obj: Coupon) -> str:
        if obj.percent_off is not None:
            return f"{money.percent_text(obj.percent_off)} off"
        return f"{money.format_amount(obj.amount_off, obj.currency)} off"

    @display(description="Valid", label=STATUS_VARIANTS)
    def valid_badge(self, obj: Coupon) -> tuple[str, str]:
        return ("active", "Valid") if coupon_valid(obj) else ("expired", "Expired")

    @action(description="Add coupon", icon="add", permissions=["create"])
    def create_coupon(self, request):
        return redirect("admin:catalog_coupon_create")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("create/", view(self.create_view), name="catalog_coupon_create"),
            *super().get_urls(),
        ]

    def create_view(self, request: HttpRequest) -> HttpResponse:
        form = CouponForm(request.POST or None)
        if request.method == "POST":
            coupon = form_submit(
                request,
                form,
                lambda actor: coupon_create(
                    account=request.account, coupon=form.new_coupon(), actor=actor
                ),
                allowed=self.can_write(request),
            )
            if coupon is not None:
                messages.success(request, f"Coupon {coupon.coupon_id} was created.")
                return redirect("admin:catalog_coupon_changelist")
        return self._page(
            request,
            "dashboard/form_page.html",
            "Add coupon",
            form=form,
            cancel_url=reverse("admin:catalog_coupon_changelist"),
        )


class PromotionCodeAdmin(ObjectHistoryMixin, CatalogAdmin):
    list_display = ("code", "coupon", "active_badge", "times_redeemed", "expires_at")
    search_fields = ("=code",)
    actions_list = ("create_code",)

    @display(description="Status", label=STATUS_VARIANTS)
    def active_badge(self, obj: PromotionCode) -> tuple[str, str]:
        return ("active", "Active") if obj.active else ("expired", "Inactive")

    @action(description="Add promotion code", icon="add", permissions=["create"])
    def create_code(self, request):
        return redirect("admin:catalog_promotioncode_create")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("create/", view(self.create_view), name="catalog_promotioncode_create"),
            *super().get_urls(),
        ]

    def create_view(self, request: HttpRequest) -> HttpResponse:
        coupons = [
            (c.coupon_id, str(c))
            for c in Coupon.objects.filter(
                account=request.account, deleted_at__isnull=True
            ).order_by("-id")[:200]
        ]
        form = PromotionCodeForm(request.POST or None)
        form.fields["coupon"] = forms.ChoiceField(choices=coupons)
        if request.method == "POST":

            def write(actor):
                data = form.cleaned_data
                if coupon_get(account=request.account, coupon_id=data["coupon"]) is None:
                    raise forms.ValidationError({"coupon": "No such coupon."})
                return promotion_code_create(
                    account=request.account,
                    promo=NewPromotionCode(
                        coupon_id=data["coupon"],
                        code=data["code"],
                        max_redemptions=data.get("max_redemptions"),
                        first_time_transaction=bool(data.get("first_time_transaction")),
                    ),
                    actor=actor,
                )

            promo = form_submit(request, form, write, allowed=self.can_write(request))
            if promo is not None:
                messages.success(request, f"Promotion code {promo.code} was created.")
                return redirect("admin:catalog_promotioncode_changelist")
        return self._page(
            request,
            "dashboard/form_page.html",
            "Add promotion code",
            form=form,
            cancel_url=reverse("admin:catalog_promotioncode_changelist"),
        )


class FxRateAdmin(CatalogAdmin):
    list_title = "FX rates"
    list_display = ("effective_on", "pair", "rate", "source")
    list_filter = ("base", "quote", "source")
    ordering = ("-effective_on", "base", "quote")
    actions_list = ("add_rate",)
    write_capability = roles.SETTINGS

    @display(description="Pair")
    def pair(self, obj: FxRate) -> str:
        return f"{obj.base.upper()} → {obj.quote.upper()}"

    @action(description="Add or import rates", icon="currency_exchange", permissions=["create"])
    def add_rate(self, request):
        return redirect("admin:catalog_fxrate_create")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("create/", view(self.create_view), name="catalog_fxrate_create"),
            *super().get_urls(),
        ]

    def create_view(self, request: HttpRequest) -> HttpResponse:
        is_post = request.method == "POST"
        one_rate = is_post and "rate" in request.POST
        single = FxRateForm(request.POST if one_rate else None)
        upload = FxImportForm(
            request.POST if is_post and not one_rate else None,
            request.FILES if is_post and not one_rate else None,
        )
        if one_rate:
            done = form_submit(
                request,
                single,
                lambda actor: (
                    fx_rate_set(
                        account=request.account,
                        actor=actor,
                        row=rate_row(
                            effective_on=single.cleaned_data["effective_on"],
                            base=single.cleaned_data["base"],
                            quote=single.cleaned_data["quote"],
                            rate=single.cleaned_data["rate"],
                        ),
                    )
                    or True
                ),
                allowed=self.can_write(request),
            )
            if done:
                messages.success(request, "The rate was saved.")
                return redirect("admin:catalog_fxrate_changelist")
        elif is_post:

            def write(actor):
                raw = upload.cleaned_data["file"].read()
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise forms.ValidationError({"file": "The file must be UTF-8 text."}) from exc
                return fx_rates_import(account=request.account, text=text, actor=actor)

            count = form_submit(request, upload, write, allowed=self.can_write(request))
            if count:
                messages.success(request, f"Imported {count} rates.")
                return redirect("admin:catalog_fxrate_changelist")
        return self._page(
            request, "catalog/fx_form.html", "Exchange rates", single=single, upload=upload
        )
