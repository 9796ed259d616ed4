"""Issue #14, "make it stay correct", through the API: the invariants of
tests/invoices/test_billing_properties.py over a fixed set of its schedules, driven by the
official stripe SDK on test clocks.

For each schedule: a customer on a test clock (with its starting balance), prices, a subscription
with the coupon; each change previewed with ``Invoice.create_preview`` at its instant
(``proration_date``) and made with ``Subscription.modify`` at the same date, the invoice's lines
(``Invoice.list_lines``) equal to the preview's; the clock advanced through the renewals, each
renewal equal to the next-invoice preview taken before it, every period with a positive total
billed once; the balance the sum of ``Customer.list_balance_transactions``; every amount an int
within the currency's rules."""

from collections import Counter

import stripe

from apps.core import clock, money
from apps.invoices.engine.periods import utc
from tests.invoices.test_billing_properties import (
    FREE_FIRST,
    JAN31,
    KWD,
    LEAP_DAY,
    SHARE,
    ChangeSpec,
    CouponSpec,
    Schedule,
)
from tests.subscriptions.sdk_clock import invoices_of

# A credit balance, an item removed and put back at one instant, a 33 % once coupon.
UNDONE = Schedule(
    currency="usd",
    interval="month",
    start=utc(2025, 4, 10, 17, 45, 12),
    items=((1999, 2), (101, 7)),
    coupon=CouponSpec("once", percent_off=33),
    balance=-5000,
    changes=(ChangeSpec(0, 777_777_777, "remove", 1, 0, 1, "always_invoice", undo=True),),
    renewals=2,
)
SCHEDULES = [JAN31, LEAP_DAY, KWD, FREE_FIRST, UNDONE]

Shape = tuple[int, bool, int, int]


def _shape(line) -> Shape:
    return (line.amount, line.proration, line.period.start, line.period.end)


def _invoice_lines(invoice_id: str) -> Counter:
    return Counter(_shape(line) for line in stripe.Invoice.list_lines(invoice_id, limit=100).data)


class SdkRun:
    def __init__(self, schedule: Schedule, name: str) -> None:
        self.schedule = schedule
        self.currency = schedule.currency
        self.test_clock = stripe.test_helpers.TestClock.create(
            frozen_time=clock.to_epoch(schedule.start)
        )
        params = {
            "email": "prop@example.com",
            "source": "tok_visa",
            "test_clock": self.test_clock.id,
            "currency": self.currency,  # Ledgerline's: the balance's currency from the start
        }
        if schedule.balance:
            params["balance"] = schedule.balance
        self.customer = stripe.Customer.create(**params)
        discounts = []
        if schedule.coupon is not None:
            discounts = [{"coupon": self._coupon(schedule.coupon, name)}]
        self.subscription = stripe.Subscription.create(
            customer=self.customer.id,
            items=[{"price": self._price(a), "quantity": q} for a, q in schedule.items],
            discounts=discounts,
        )

    def _price(self, unit_amount: int) -> str:
        return stripe.Price.create(
            product_data={"name": f"P{unit_amount}"},
            currency=self.currency,
            unit_amount=unit_amount,
            recurring={"interval": self.schedule.interval},
        ).id

    def _coupon(self, spec: CouponSpec, name: str) -> str:
        params = {"id": f"PROP{name}", "duration": spec.duration}
        if spec.percent_off is not None:
            params["percent_off"] = spec.percent_off
        else:
            params["amount_off"], params["currency"] = spec.amount_off, self.currency
        if spec.duration == "repeating":
            params["duration_in_months"] = spec.months
        return stripe.Coupon.create(**params).id

    def advance(self, to: int) -> None:
        if to <= stripe.test_helpers.TestClock.retrieve(self.test_clock.id).frozen_time:
            return
        stripe.test_helpers.TestClock.advance(self.test_clock.id, frozen_time=to)
        assert stripe.test_helpers.TestClock.retrieve(self.test_clock.id).status == "ready"

    def _items(self) -> list:
        subscription = stripe.Subscription.retrieve(self.subscription.id)
        return sorted(subscription["items"].data, key=lambda item: item.id)

    def _pending(self) -> Counter:
        return Counter(
            (item.amount, item.proration, item.period.start, item.period.end)
            for item in stripe.InvoiceItem.list(customer=self.customer.id, limit=100).data
            if not item.invoice
        )

    def change(self, spec: ChangeSpec, at: int) -> None:
        items = self._items()
        row = items[spec.item % len(items)]
        kind = "quantity" if spec.kind == "remove" and len(items) == 1 else spec.kind
        if kind == "price":
            forth = [
                {"id": row.id, "price": self._price(spec.unit_amount), "quantity": spec.quantity}
            ]
            back = [{"id": row.id, "price": row.price, "quantity": row.quantity}]
        elif kind == "quantity":
            forth = [{"id": row.id, "quantity": spec.quantity}]
            back = [{"id": row.id, "quantity": row.quantity}]
        elif kind == "add":
            forth = [{"price": self._price(spec.unit_amount), "quantity": spec.quantity}]
            back = None
        else:
            forth = [{"id": row.id, "deleted": True}]
            back = [{"price": row.price, "quantity": row.quantity}]
        made = self.apply(forth, at, spec.behavior)
        if not spec.undo:
            return
        if back is None:
            (added,) = [item for item in self._items() if item.id not in {i.id for i in items}]
            back = [{"id": added.id, "deleted": True}]
        unmade = self.apply(back, at, spec.behavior)
        assert sum(made) + sum(unmade) == 0, (made, unmade)

    def apply(self, items: list[dict], at: int, behavior: str) -> list[int]:
        invoices_before = {invoice.id for invoice in invoices_of(self.customer)}
        pending_before = self._pending()
        preview = stripe.Invoice.create_preview(
            subscription=self.subscription.id,
            subscription_details={
                "items": items,
                "proration_date": at,
                "proration_behavior": behavior,
            },
        )
        self.check_amounts(preview, preview.lines.data)
        shown = Counter(_shape(line) for line in preview.lines.data)
        prorations = Counter(s for s in shown.elements() if s[1]) - pending_before
        stripe.Subscription.modify(
            self.subscription.id, items=items, proration_date=at, proration_behavior=behavior
        )
        made = [i for i in invoices_of(self.customer) if i.id not in invoices_before]
        if behavior == "always_invoice" and preview.total != 0:
            (invoice,) = made
            assert invoice.billing_reason == "subscription_update"
            assert _invoice_lines(invoice.id) == shown
            fields = ("subtotal", "total", "starting_balance", "ending_balance", "amount_due")
            assert [invoice[f] for f in fields] == [preview[f] for f in fields]
            assert invoice.status == "paid"
            assert self._pending() == Counter()
        else:
            assert made == []
            assert self._pending() == pending_before + prorations
        return [shape[0] for shape in prorations.elements()]

    def renew(self) -> bool:
        """The next-invoice preview, then the renewal; True when the period was billed."""
        subscription = stripe.Subscription.retrieve(self.subscription.id)
        preview = stripe.Invoice.create_preview(subscription=subscription.id)
        self.check_amounts(preview, preview.lines.data)
        boundary = subscription.current_period_end
        self.advance(boundary + 3601)
        assert stripe.Subscription.retrieve(subscription.id).current_period_start == boundary
        cycle = [
            i
            for i in invoices_of(self.customer)
            if i.billing_reason == "subscription_cycle" and i.period_start == boundary
        ]
        if preview.total == 0:
            assert cycle == []
            return False
        (invoice,) = cycle
        assert _invoice_lines(invoice.id) == Counter(_shape(line) for line in preview.lines.data)
        assert (invoice.subtotal, invoice.total, invoice.status) == (
            preview.subtotal,
            preview.total,
            "paid",
        )
        if invoice.starting_balance == preview.starting_balance:
            assert (invoice.amount_due, invoice.ending_balance) == (
                preview.amount_due,
                preview.ending_balance,
            )
        return True

    def run(self) -> None:
        billed = []
        for period in range(self.schedule.renewals):
            subscription = stripe.Subscription.retrieve(self.subscription.id)
            start, end = subscription.current_period_start, subscription.current_period_end
            for spec in sorted(
                (c for c in self.schedule.changes if c.period == period), key=lambda c: c.share
            ):
                at = start + (end - start) * spec.share // SHARE
                self.advance(at)
                self.change(spec, at)
            billed.append((end, self.renew()))
        cycle = [
            i.period_start
            for i in invoices_of(self.customer)
            if i.billing_reason == "subscription_cycle"
        ]
        # Every period with a positive total billed once, and no other.
        assert sorted(cycle) == [boundary for boundary, positive in billed if positive]
        self.check_ledger()

    def check_amounts(self, invoice, lines) -> None:
        for name in ("subtotal", "total", "amount_due", "starting_balance", "ending_balance"):
            assert type(invoice[name]) is int, (name, invoice[name])
        assert all(type(line.amount) is int for line in lines)
        assert invoice.subtotal == sum(line.amount for line in lines)
        self._chargeable(invoice.amount_due)

    def _chargeable(self, amount: int) -> None:
        assert amount == 0 or amount >= money.minimum_charge_amount(self.currency), amount
        assert money.chargeable_round(amount, self.currency) == amount, amount

    def check_ledger(self) -> None:
        rows = stripe.Customer.list_balance_transactions(self.customer.id, limit=100).data
        balance = stripe.Customer.retrieve(self.customer.id).balance
        assert balance == sum(row.amount for row in rows)
        assert balance == (rows[0].ending_balance if rows else 0)  # newest first
        for invoice in invoices_of(self.customer):
            lines = stripe.Invoice.list_lines(invoice.id, limit=100).data
            self.check_amounts(invoice, lines)
            moved = sum(row.amount for row in rows if row.invoice == invoice.id)
            assert invoice.ending_balance - invoice.starting_balance == moved
            assert invoice.amount_due == invoice.total - moved
            assert invoice.amount_paid == invoice.amount_due
        charges = stripe.Charge.list(customer=self.customer.id, limit=100).data
        assert sorted(c.amount for c in charges) == sorted(
            i.amount_due for i in invoices_of(self.customer) if i.amount_due
        )
        for charge in charges:
            self._chargeable(charge.amount)


def test_billing_invariants_hold_through_the_api(stripe_sdk, tasks_inline):
    for index, schedule in enumerate(SCHEDULES):
        SdkRun(schedule, str(index)).run()
