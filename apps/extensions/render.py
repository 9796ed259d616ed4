"""What the billing customizations page shows of a choice and of a preview: settings in words
(money in the account's currency), lines with their amounts formatted."""

from apps.core import clock, money
from apps.extensions.models import BillingCustomization
from apps.extensions.preview import ChoicePreview, PreviewSide
from apps.invoices.engine.stages import ConfigField, Implementation, implementation_get


def setting_text(field: ConfigField, value, currency: str) -> str:
    if field.kind == "monetary_amount":
        return money.format_amount(value, currency)
    if field.kind == "percent":
        return f"{value}%"
    if field.kind == "boolean":
        return "Yes" if value else "No"
    return str(value)


def settings_of(implementation: Implementation, config: dict, currency: str) -> list[dict]:
    """The implementation's settings with ``config``'s values (defaults where it has none)."""
    return [
        {
            "name": field.name,
            "label": field.label,
            "text": setting_text(field, config.get(field.name, field.default), currency),
        }
        for field in implementation.config
    ]


def choice_row(row: BillingCustomization, currency: str) -> dict:
    """A saved choice as listed: its implementation (by title while the registry has it)."""
    try:
        implementation = implementation_get(row.stage, row.implementation)
    except KeyError:
        title, settings = (
            row.implementation,
            [
                {"name": name, "label": name, "text": str(value)}
                for name, value in row.config.items()
            ],
        )
    else:
        title = implementation.title
        settings = settings_of(implementation, row.config, currency)
    return {"row": row, "title": title, "settings": settings}


def _side(side: PreviewSide, currency: str) -> dict:
    return {
        "lines": [
            {
                "description": line["description"] or "",
                "proration": line["proration"],
                "amount": line["amount"],
                "amount_text": money.format_amount(line["amount"], currency),
                "start": clock.from_epoch(line["period"]["start"]),
                "end": clock.from_epoch(line["period"]["end"]),
            }
            for line in side.lines
        ],
        "proration": side.proration,
        "proration_text": money.format_amount(side.proration, currency),
        "total": side.total,
        "total_text": money.format_amount(side.total, currency),
        "amount_due_text": money.format_amount(side.amount_due, currency),
    }


def preview_context(preview: ChoicePreview, *, draft_title: str) -> dict:
    """The two sides of a preview, the saved choices' first: ``sides`` is ``[(label, side,
    key)]``."""
    currency = preview.subscription.currency
    return {
        "subscription": preview.subscription,
        "at": preview.at,
        "change_to": preview.change_to,
        "sides": [
            ("With the saved choices", _side(preview.current, currency), "current"),
            (f"With {draft_title}", _side(preview.draft, currency), "draft"),
        ],
    }
