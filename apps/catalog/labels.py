"""How a price is named to staff wherever one is chosen or listed: "Pro — $25.00 / month",
"Pro (Annual) — $300.00 / year", "Seats — Tiered (graduated) / month"."""

from apps.catalog.models import Price
from apps.core import money


def _every(recurring: dict | None) -> str:
    if not recurring:
        return ""
    interval, count = recurring.get("interval", ""), recurring.get("interval_count", 1)
    return f" / {count} {interval}s" if count and count > 1 else f" / {interval}"


def price_terms_text(price: Price) -> str:
    """What the price charges: "$25.00 / month", "¥1,250", "Pay what you want / month"."""
    if price.custom_unit_amount is not None:
        text = "Pay what you want"
    elif price.billing_scheme == "tiered":
        text = f"Tiered ({price.tiers_mode})" if price.tiers_mode else "Tiered"
    elif price.unit_amount_decimal is not None:
        text = money.format_amount(price.unit_amount_decimal, price.currency)
    elif price.unit_amount is not None:
        text = money.format_amount(price.unit_amount, price.currency)
    else:
        text = price.currency.upper()
    if price.transform_quantity:
        text += f" per {price.transform_quantity['divide_by']} units"
    if (price.recurring or {}).get("usage_type") == "metered":
        text += " per unit used"
    return text + _every(price.recurring)


def price_label(price: Price) -> str:
    """The product's name (and the price's nickname), then its terms."""
    name = price.product.name
    if price.nickname:
        name = f"{name} ({price.nickname})"
    return f"{name} — {price_terms_text(price)}"
