"""Dashboard → Product catalog: products with their prices and the price editor, coupons and
promotion codes, FX rates (entered or imported). Every write calls a catalog service."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST
from unfold.decorators import action, display
from unfold.paginator import InfinitePaginator

from apps.accounts import roles
from apps.accounts.dashboard.admin_base import (
    AccountScopedAdmin,
    ObjectHistoryMixin,
    dashboard_actor,
)
from apps.accounts.dashboard.badges import STATUS_VARIANTS
from apps.accounts.dashboard.forms import service_error_to_form
from apps.catalog.forms import (
    CouponForm,
    FxImportForm,
    FxRateForm,
    PriceForm,
    ProductForm,
    PromotionCodeForm,
)
from apps.catalog.models import Coupon, FxRate, Product, PromotionCode
from apps.catalog.render import coupon_valid, decimal_text, tiers_render
from apps.catalog.selectors import coupon_get, product_list
from apps.catalog.services import (
    coupon_create,
    fx_rate_set,
    fx_rates_import,
    price_create,
    price_delete,
    price_update,
    product_create,
    product_update,
    promotion_code_create,
    rate_row,
)
from apps.core import money
from apps.core.errors import ApplicationError


def _submit(request: HttpRequest, form: forms.Form, write, *, allowed: bool) -> object | None:
    """Validate ``form`` and run ``write(actor)``; refusals become form errors. None on failure."""
    if not allowed:
        form.add_error(None, "Your role does not allow changing the catalog.")
        return None
    if not form.is_valid():
        return None
    try:
        return write(dashboard_actor(request))
    except forms.ValidationError as error:
        form.add_error(None, error)
    except ApplicationError as error:
        service_error_to_form(form, error)
    return None


class _CatalogAdmin(AccountScopedAdmin):
    paginator = InfinitePaginator
    show_full_result_count = False
    list_per_page = 50
    ordering = ("-id",)
    write_capability = roles.BILLING_WRITE

    def _page(self, request: HttpRequest, template: str, title: str, **context) -> HttpResponse:
        return render(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.model._meta,
                "can_write": self.can_write(request),
                **context,
            },
        )

    def has_create_permission(self, request) -> bool:
        return self.can_write(request)


@admin.register(Product)
class ProductAdmin(ObjectHistoryMixin, _CatalogAdmin):
    list_display = ("name", "active_badge", "id", "created_at")
    list_filter = ("active",)
    search_fields = ("=id", "name")
    actions_list = ("create_product",)

    @display(description="Status", label=STATUS_VARIANTS)
    def active_badge(self, obj: Product) -> tuple[str, str]:
        return ("active", "Active") if obj.active else ("expired", "Archived")

    @action(description="Add product", icon="add", permissions=["create"])
    def create_product(self, request):
        return redirect("admin:catalog_product_create")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("create/", view(self.create_view), name="catalog_product_create"),
            # <str:…>, not <path:…>: a path converter would swallow "…/prices/<id>" into the
            # product id and send a price's archive to the product's.
            path(
                "<str:object_id>/prices/add/",
                view(self.price_view),
                name="catalog_product_add_price",
            ),
            path(
                "<str:object_id>/prices/<str:price_id>/archive/",
                view(require_POST(self.archive_price_view)),
                name="catalog_price_archive",
            ),
            path(
                "<str:object_id>/prices/<str:price_id>/delete/",
                view(require_POST(self.delete_price_view)),
                name="catalog_price_delete",
            ),
            path(
                "<str:object_id>/archive/",
                view(require_POST(self.archive_view)),
                name="catalog_product_archive",
            ),
            *super().get_urls(),
        ]

    def _product(self, request: HttpRequest, object_id: str) -> Product:
        product = product_list(account=request.account).filter(id=unquote(object_id)).first()
        if product is None:
            raise Http404("No such product")
        return product

    def change_view(self, request, object_id, form_url="", extra_context=None):
        product = self._product(request, object_id)
        prices = [
            {
                "price": price,
                "amount": _amount_text(price),
                "tiers": tiers_render(price.tiers),
                "options": sorted(price.currency_options.items()),
            }
            for price in product.prices.order_by("-id")
        ]
        return self._page(
            request,
            "catalog/product_detail.html",
            product.name,
            product=product,
            prices=prices,
            object_history_entries=self.object_history(request, product.id),
            object_history_object_id=product.id,
        )

    def create_view(self, request: HttpRequest) -> HttpResponse:
        form = ProductForm(request.POST or None)
        if request.method == "POST":
            product = _submit(
                request,
                form,
                lambda actor: product_create(
                    account=request.account, params=form.params(), actor=actor
                ),
                allowed=self.can_write(request),
            )
            if product is not None:
                messages.success(request, f"Product {product.name} was created.")
                return redirect("admin:catalog_product_change", product.id)
        return self._page(
            request,
            "dashboard/form_page.html",
            "Add product",
            form=form,
            cancel_url=reverse("admin:catalog_product_changelist"),
        )

    def price_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        product = self._product(request, object_id)
        form = PriceForm(request.POST or None)
        if request.method == "POST":
            price = _submit(
                request,
                form,
                lambda actor: price_create(
                    account=request.account, params=form.params(product.id), actor=actor
                ),
                allowed=self.can_write(request),
            )
            if price is not None:
                messages.success(request, f"Price {price.id} was added.")
                return redirect("admin:catalog_product_change", product.id)
        return self._page(
            request,
            "catalog/price_form.html",
            f"Add a price to {product.name}",
            form=form,
            product=product,
        )

    def archive_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        product = self._product(request, object_id)
        if not self.can_write(request):
            messages.error(request, "Your role does not allow changing the catalog.")
        else:
            product_update(
                account=request.account,
                product_id=product.id,
                params={"active": not product.active},
                actor=dashboard_actor(request),
            )
            messages.success(request, "Archived." if product.active else "Restored.")
        return redirect("admin:catalog_product_change", product.id)

    def archive_price_view(self, request: HttpRequest, object_id: str, price_id: str):
        product = self._product(request, object_id)
        price = product.prices.filter(id=price_id).first()
        if price is None:
            raise Http404("No such price")
        if not self.can_write(request):
            messages.error(request, "Your role does not allow changing the catalog.")
        else:
            price_update(
                account=request.account,
                price_id=price.id,
                params={"active": not price.active},
                actor=dashboard_actor(request),
            )
        return redirect("admin:catalog_product_change", product.id)

    def delete_price_view(self, request: HttpRequest, object_id: str, price_id: str):
        product = self._product(request, object_id)
        price = product.prices.filter(id=price_id).first()
        if price is None:
            raise Http404("No such price")
        if not self.can_write(request):
            messages.error(request, "Your role does not allow changing the catalog.")
            return redirect("admin:catalog_product_change", product.id)
        try:
            price_delete(account=request.account, price_id=price.id, actor=dashboard_actor(request))
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Price {price.id} was deleted.")
        return redirect("admin:catalog_product_change", product.id)


def _amount_text(price) -> str:
    if price.custom_unit_amount is not None:
        return "Pay what you want"
    if price.billing_scheme == "tiered":
        return f"Tiered ({price.tiers_mode})"
    if price.unit_amount_decimal is None:
        return "—"
    digits = money.exponent(price.currency)
    major = price.unit_amount_decimal.scaleb(-digits)
    text = f"{decimal_text(major)} {price.currency.upper()}"
    if price.transform_quantity:
        text += f" per {price.transform_quantity['divide_by']} units"
    if price.recurring:
        count = price.recurring["interval_count"]
        text += (
            f" / {count} {price.recurring['interval']}"
            if count > 1
            else f" / {price.recurring['interval']}"
        )
    return text


@admin.register(Coupon)
class CouponAdmin(ObjectHistoryMixin, _CatalogAdmin):
    list_display = ("coupon_id", "name", "terms", "duration", "times_redeemed", "valid_badge")
    search_fields = ("=coupon_id", "name")
    actions_list = ("create_coupon",)

    def get_queryset(self, request):
        return super().get_queryset(request).filter(deleted_at__isnull=True)

    @display(description="Terms")
    def terms(self, obj: Coupon) -> str:
        if obj.percent_off is not None:
            return f"{obj.percent_off.normalize()} % off"
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
            coupon = _submit(
                request,
                form,
                lambda actor: coupon_create(
                    account=request.account, params=form.params(), actor=actor
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


@admin.register(PromotionCode)
class PromotionCodeAdmin(ObjectHistoryMixin, _CatalogAdmin):
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
                    actor=actor,
                    params={
                        "coupon": data["coupon"],
                        "code": data["code"],
                        "max_redemptions": data.get("max_redemptions"),
                        "restrictions": {
                            "first_time_transaction": "true"
                            if data.get("first_time_transaction")
                            else "false"
                        },
                    },
                )

            promo = _submit(request, form, write, allowed=self.can_write(request))
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


@admin.register(FxRate)
class FxRateAdmin(_CatalogAdmin):
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
            done = _submit(
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

            count = _submit(request, upload, write, allowed=self.can_write(request))
            if count:
                messages.success(request, f"Imported {count} rates.")
                return redirect("admin:catalog_fxrate_changelist")
        return self._page(
            request, "catalog/fx_form.html", "Exchange rates", single=single, upload=upload
        )
