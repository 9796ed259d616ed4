"""The built-in test processor: Stripe's test cards behave as documented (apps.customers.testcards).

Deterministic and in-process. Answers are remembered per idempotency key (per process), so a
repeated call answers as the first did, as a real gateway's idempotency does.
"""

import hashlib
import threading

from apps.customers import testcards
from apps.customers.card_expiry import is_expired
from apps.customers.models import PaymentMethod
from apps.payments.processors.base import Result

_RISK_SCORES = {"normal": 12, "elevated": 67, "highest": 92}


class TestProcessor:
    def __init__(self) -> None:
        self._answers: dict[str, Result] = {}
        self._lock = threading.Lock()

    def _remember(self, key: str, compute) -> Result:
        with self._lock:
            if key in self._answers:
                return self._answers[key]
        result = compute()
        with self._lock:
            self._answers.setdefault(key, result)
            if len(self._answers) > 100_000:
                self._answers.clear()
        return result

    @staticmethod
    def _reference(prefix: str, key: str) -> str:
        return f"{prefix}_{hashlib.sha256(key.encode()).hexdigest()[:24]}"

    def authorize(
        self,
        *,
        amount,
        currency,
        payment_method: PaymentMethod,
        capture,
        off_session,
        authenticated,
        idempotency_key,
        at,
    ) -> Result:
        def compute() -> Result:
            scenario = testcards.SCENARIOS[payment_method.test_scenario or "succeed"]
            risk = dict(
                risk_level=scenario.risk_level, risk_score=_RISK_SCORES[scenario.risk_level]
            )
            declined = scenario.outcome == "decline"
            error_code, decline_code = scenario.error_code, scenario.decline_code
            if payment_method.closed_at is not None:
                # The issuer closed the account (the card updater learnt it): a hard decline.
                declined, error_code, decline_code = True, "card_declined", "invalid_account"
            elif is_expired(payment_method.exp_month, payment_method.exp_year, at):
                declined, error_code, decline_code = True, "expired_card", "expired_card"
            if declined:
                return Result(
                    status="failed",
                    error_code=error_code,
                    decline_code=decline_code,
                    message=testcards.decline_message(decline_code),
                    network_status="declined_by_network",
                    **risk,
                )
            if scenario.outcome == "block":
                return Result(
                    status="blocked",
                    error_code="card_declined",
                    decline_code="fraudulent",
                    message="Your card was declined.",
                    network_status="not_sent_to_network",
                    **risk,
                )
            if scenario.outcome == "authenticate" and not authenticated:
                required = scenario.three_d_secure == "required" or not off_session
                if required:
                    return Result(
                        status="requires_action",
                        error_code="authentication_required",
                        decline_code="authentication_required",
                        message="This payment requires authentication.",
                        network_status="not_sent_to_network",
                        **risk,
                    )
            later = {"dispute_reason": scenario.dispute_reason} if scenario.dispute_reason else {}
            return Result(
                status="succeeded" if capture else "requires_capture",
                reference=self._reference("auth", idempotency_key),
                later=later,
                **risk,
            )

        return self._remember(idempotency_key, compute)

    def setup(self, *, payment_method: PaymentMethod, usage, authenticated, idempotency_key, at):
        """A card is checked as an authorization of nothing: the decline cards decline (Stripe's
        test cards decline a SetupIntent as they decline a charge), a card that asks for 3-D
        Secure asks for it on setup whatever its rule for later payments, and the rest succeed
        (those that only fail later charges included)."""

        def compute() -> Result:
            scenario = testcards.SCENARIOS[payment_method.test_scenario or "succeed"]
            error_code, decline_code = scenario.error_code, scenario.decline_code
            declined = scenario.outcome == "decline" and not scenario.attachable
            if payment_method.closed_at is not None:
                declined, error_code, decline_code = True, "card_declined", "invalid_account"
            elif is_expired(payment_method.exp_month, payment_method.exp_year, at):
                declined, error_code, decline_code = True, "expired_card", "expired_card"
            if declined:
                return Result(
                    status="failed",
                    error_code=error_code,
                    decline_code=decline_code,
                    message=testcards.decline_message(decline_code),
                    network_status="declined_by_network",
                )
            if scenario.outcome == "authenticate" and not authenticated:
                return Result(
                    status="requires_action",
                    error_code="authentication_required",
                    decline_code="authentication_required",
                    message="This setup requires authentication.",
                    network_status="not_sent_to_network",
                )
            return Result(status="succeeded", reference=self._reference("seti", idempotency_key))

        return self._remember(idempotency_key, compute)

    def capture(self, *, reference, amount, idempotency_key) -> Result:
        return self._remember(
            idempotency_key,
            lambda: Result(status="succeeded", reference=reference),
        )

    def refund(self, *, reference, amount, idempotency_key) -> Result:
        return self._remember(
            idempotency_key,
            lambda: Result(status="succeeded", reference=self._reference("rfnd", idempotency_key)),
        )
