"""How staff see a payment: the one state word of a charge, shown as its badge."""

from apps.payments.models import Charge


def charge_state(charge: Charge) -> tuple[str, str]:
    """The one word staff see for a charge, as its badge."""
    if charge.status == "failed":
        if (charge.outcome or {}).get("type") == "blocked":
            return "blocked", "Blocked"
        return "failed", "Failed"
    if charge.status == "pending":
        return "pending", "Pending"
    if not charge.captured:
        return "uncaptured", "Uncaptured"
    if charge.amount_refunded >= charge.amount_captured:
        return "refunded", "Refunded"
    if charge.amount_refunded:
        return "partially_refunded", "Partially refunded"
    return "succeeded", "Succeeded"
