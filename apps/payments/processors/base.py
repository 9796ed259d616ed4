"""The interface every payment processor implements."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from apps.customers.models import PaymentMethod


@dataclass(frozen=True)
class Result:
    # "succeeded", "requires_capture", "failed" (declined), "blocked" (fraud), "requires_action"
    status: str
    reference: str = ""
    error_code: str = ""
    decline_code: str = ""
    message: str = ""
    network_status: str = "approved_by_network"
    risk_level: str = "normal"
    risk_score: int = 10
    # Test mode: what happens to the payment later (a dispute reason), for the disputes work.
    later: dict[str, str] = field(default_factory=dict)


class Processor(Protocol):
    """``authorize``'s ``at`` is the moment of the charge: the customer's test clock time when it
    has one (the test processor declines cards expired by then); a gateway keeps its own time."""

    def authorize(
        self,
        *,
        amount: int,
        currency: str,
        payment_method: PaymentMethod,
        capture: bool,
        off_session: bool,
        authenticated: bool,
        idempotency_key: str,
        at: datetime,
    ) -> Result: ...

    def setup(
        self,
        *,
        payment_method: PaymentMethod,
        usage: str,
        authenticated: bool,
        idempotency_key: str,
        at: datetime,
    ) -> Result:
        """Check ``payment_method`` for later payments (a SetupIntent), without charging it:
        "succeeded", "failed" (declined) or "requires_action" (authentication first)."""
        ...

    def capture(self, *, reference: str, amount: int, idempotency_key: str) -> Result: ...

    def refund(self, *, reference: str, amount: int, idempotency_key: str) -> Result: ...
