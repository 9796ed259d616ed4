"""Dashboard → Product catalog: products with their prices and the price editor, coupons and
promotion codes, FX rates (entered or imported). Every write calls a catalog service."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST
from unfold.decorators import action, display

from apps.accounts.dashboard.admin_base import ObjectHistoryMixin, dashboard_actor
from apps.accounts.dashboard.badges import STATUS_VARIANTS
from apps.catalog.admin_common import CatalogAdmin, form_submit
from apps.catalog.admin_discounts import CouponAdmin, FxRateAdmin, PromotionCodeAdmin
from apps.catalog.admin_tax_rates import TaxRateAdmin
from apps.catalog.forms import (
    PriceForm,
    ProductForm,
)
from apps.catalog.models import Coupon, FxRate, Product, PromotionCode, TaxRate
from apps.catalog.render import decimal_text, tiers_render
from apps.catalog.selectors import product_list
from apps.catalog.services import (
    PriceChanges,
    ProductChanges,
    price_create,
    price_delete,
    price_update,
    product_create,
    product_update,
)
from apps.core import money
from apps.core.errors import ApplicationError


@admin.register(Product)
class ProductAdmin(ObjectHistoryMixin, CatalogAdmin):
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
            # A plan deleted while still billed is gone from the catalog, as from the API.
            for price in product.prices.filter(deleted_at__isnull=True).order_by("-id")
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
            product = form_submit(
                request,
                form,
                lambda actor: product_create(
                    account=request.account, product=form.new_product(), actor=actor
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
            price = form_submit(
                request,
                form,
                lambda actor: price_create(
                    account=request.account, price=form.new_price(product.id), actor=actor
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
                changes=ProductChanges(active=not product.active),
                actor=dashboard_actor(request),
            )
            messages.success(request, "Archived." if product.active else "Restored.")
        return redirect("admin:catalog_product_change", product.id)

    def archive_price_view(self, request: HttpRequest, object_id: str, price_id: str):
        product = self._product(request, object_id)
        price = product.prices.filter(id=price_id, deleted_at__isnull=True).first()
        if price is None:
            raise Http404("No such price")
        if not self.can_write(request):
            messages.error(request, "Your role does not allow changing the catalog.")
        else:
            price_update(
                account=request.account,
                price_id=price.id,
                changes=PriceChanges(active=not price.active),
                actor=dashboard_actor(request),
            )
        return redirect("admin:catalog_product_change", product.id)

    def delete_price_view(self, request: HttpRequest, object_id: str, price_id: str):
        product = self._product(request, object_id)
        price = product.prices.filter(id=price_id, deleted_at__isnull=True).first()
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


admin.site.register(Coupon, CouponAdmin)
admin.site.register(PromotionCode, PromotionCodeAdmin)
admin.site.register(FxRate, FxRateAdmin)
admin.site.register(TaxRate, TaxRateAdmin)
