"""Dashboard → Billing → Subscriptions: the new-subscription page (its live preview equals what
Create then invoices, and writes nothing), refusals shown inline with nothing written, roles and
account scope; the subscription page's add item (own trial), pause / unpause, resume, and
scheduled cancellation."""

import re

import pytest
from django.test import Client
from django.utils.html import strip_tags

from apps.accounts.enums import Role
from apps.catalog.discount_params import new_coupon_parse
from apps.catalog.services import coupon_create
from apps.core import clock
from apps.core.actor import SYSTEM
from apps.core.money import format_amount
from apps.customers.api.params import customer_create_parse
from apps.customers.services import customer_create
from apps.invoices.engine.periods import utc
from apps.invoices.models import Invoice
from apps.subscriptions.models import Subscription
from apps.subscriptions.services import subscription_renew
from apps.subscriptions.services.billing import billing_settings
from tests.customers.conftest import staff_client  # noqa: F401
from tests.dashboard.conftest import staff_login
from tests.factories import PriceFactory, SubscriptionFactory

BASE = "/dashboard/subscriptions/subscription"


def _counts() -> dict[str, int]:
    from django.apps import apps

    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label
        in ("invoices", "subscriptions", "payments", "customers", "catalog", "core", "accounts")
    }


@pytest.fixture
def clock_start():
    return utc(2025, 3, 10)


@pytest.fixture
def catalog(acme):
    customer = customer_create(
        account=acme.account,
        **customer_create_parse({"email": "nia@example.com", "source": "tok_visa"}),
        actor=SYSTEM,
    )
    launch = PriceFactory(account=acme.account, unit_amount=2900, name="Launch")
    intel = PriceFactory(account=acme.account, unit_amount=4900, name="Intel")
    return customer, launch, intel


def _form(now: str, customer: str, rows: list[dict], **fields) -> dict:
    data = {
        "now": now,
        "customer": customer,
        "collection_method": "charge_automatically",
        "proration_behavior": "create_prorations",
        "items-TOTAL_FORMS": "4",
        "items-INITIAL_FORMS": "0",
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "20",
    }
    for index in range(4):
        row = rows[index] if index < len(rows) else {}
        data[f"items-{index}-price"] = row.get("price", "")
        data[f"items-{index}-quantity"] = row.get("quantity", "1")
        data[f"items-{index}-trial_days"] = row.get("trial_days", "")
        data[f"items-{index}-trial_end"] = row.get("trial_end", "")
    return {**data, **fields}


def _amounts(html: str, invoice: str) -> list[str]:
    block = html.split(f'data-preview-invoice="{invoice}"')[1].split("data-preview-invoice=")[0]
    return re.findall(r"data-amount>([^<]+)<", block)


def _figure(html: str, invoice: str, name: str) -> str | None:
    block = html.split(f'data-preview-invoice="{invoice}"')[1].split("data-preview-invoice=")[0]
    found = re.search(rf"data-preview-{name}>([^<]+)<", block)
    return found.group(1) if found else None


def test_new_subscription_preview_is_what_create_invoices(staff_client, acme, at, catalog):  # noqa: F811
    customer, launch, intel = catalog
    page = staff_client.get(f"{BASE}/new/?customer={customer.id}").content.decode()
    assert "New subscription" in page
    assert f'value="{customer.id}"' in page
    now = re.search(r'name="now" value="(\d+)"', page).group(1)
    assert int(now) == clock.to_epoch(utc(2025, 3, 10))
    form = _form(
        now,
        customer.id,
        [
            {"price": launch.id, "quantity": "2"},
            {"price": intel.id, "trial_days": "14"},
        ],
    )
    before = _counts()
    at(utc(2025, 3, 10, 0, 4))  # staff take four minutes
    preview = staff_client.get(f"{BASE}/new/preview/", form).content.decode()
    assert _counts() == before  # the preview wrote nothing
    assert _amounts(preview, "first") == ["$58.00"]
    assert _figure(preview, "first", "amount-due") == "$58.00"
    # Launch × 2 and Intel for the next month, plus Intel's 17 of 31 days after its trial.
    assert _amounts(preview, "next") == ["$58.00", "$26.87", "$49.00"]
    assert _figure(preview, "next", "amount-due") == "$133.87"
    assert "Next invoice, 10 Apr 2025, 00:00" in strip_tags(preview)

    response = staff_client.post(f"{BASE}/new/", form)
    assert response.status_code == 302
    subscription = Subscription.objects.get(customer=customer)
    assert response.url.endswith(f"/{subscription.id}/change/")
    assert subscription.billing_cycle_anchor == utc(2025, 3, 10)  # the pinned start
    invoice = Invoice.objects.get(subscription=subscription)
    assert list(invoice.lines.values_list("amount", flat=True)) == [5800]
    assert (invoice.total, invoice.status) == (5800, "paid")
    trials = sorted(
        subscription.items.values_list("trial_end", flat=True), key=lambda t: t is not None
    )
    assert trials == [None, utc(2025, 3, 24)]
    page = staff_client.get(response.url).content.decode()
    assert f"Subscription {subscription.id} was created." in page

    at(utc(2025, 4, 10))
    subscription_renew(subscription_id=subscription.id)
    renewal = Invoice.objects.get(subscription=subscription, billing_reason="subscription_cycle")
    assert sorted(renewal.lines.values_list("amount", flat=True)) == [2687, 4900, 5800]
    assert renewal.total == 13387


@pytest.mark.parametrize(
    ("duration", "discount", "due"),
    # A once coupon is spent by the first period, the stub, whose prorations it does not
    # discount (issue 14); a forever one discounts April too.
    [("once", None, 2900), ("forever", "-$2.90", 2610)],
)
def test_anchor_coupon_and_collection_are_previewed_and_created(
    staff_client,  # noqa: F811
    acme,
    at,
    catalog,
    duration,
    discount,
    due,
):
    customer, launch, _ = catalog
    coupon_create(
        account=acme.account,
        coupon=new_coupon_parse({"id": "TENOFF", "percent_off": "10", "duration": duration}),
        actor=SYSTEM,
    )
    form = _form(
        str(clock.to_epoch(utc(2025, 3, 10))),
        customer.email,
        [{"price": launch.id}],
        coupon="TENOFF",
        billing_cycle_anchor="2025-04-01T00:00",
        collection_method="send_invoice",
        days_until_due="14",
    )
    preview = staff_client.get(f"{BASE}/new/preview/", form).content.decode()
    # 22 of March's 31 days: 2900 × 22/31 = 2058.06; prorations are not discounted.
    assert _amounts(preview, "first") == ["$20.58"]
    assert _figure(preview, "first", "amount-due") == "$20.58"
    assert _amounts(preview, "next") == ["$29.00"]
    assert _figure(preview, "next", "discount") == discount
    assert _figure(preview, "next", "amount-due") == format_amount(due, "usd")
    assert "Next invoice, 1 Apr 2025, 00:00" in strip_tags(preview)
    assert staff_client.post(f"{BASE}/new/", form).status_code == 302
    subscription = Subscription.objects.get(customer=customer)
    assert (subscription.collection_method, subscription.days_until_due) == ("send_invoice", 14)
    assert subscription.current_period_end == utc(2025, 4, 1)
    invoice = Invoice.objects.get(subscription=subscription)
    assert (invoice.total, invoice.status) == (2058, "open")
    at(utc(2025, 4, 1))
    subscription_renew(subscription_id=subscription.id)
    assert Invoice.objects.get(billing_reason="subscription_cycle").total == due


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"coupon": "NOPE"}, "No such coupon"),
        ({"promotion_code": "NOPE"}, "No active promotion code"),
        ({"customer": "cus_missing"}, "No customer cus_missing"),
        ({"row": {"trial_days": "3", "trial_end": "2025-03-20T00:00"}}, "not both"),
        ({"collection_method": "send_invoice"}, "needs days until due"),
        ({"billing_cycle_anchor": "2025-06-01T00:00"}, "within the first whole period"),
        ({"row": {"trial_end": "2025-03-01T00:00"}}, "trial_end must be in the future"),
        ({"row": {"price": ""}}, "Pick a price"),
        ({"now": str(clock.to_epoch(utc(2025, 3, 9)))}, "preview again"),
    ],
)
def test_refusals_are_inline_and_write_nothing(
    staff_client,  # noqa: F811
    acme,
    at,
    catalog,
    change,
    message,
):
    customer, launch, _ = catalog
    change = dict(change)
    row = {"price": launch.id, **change.pop("row", {})}
    form = {**_form(str(clock.to_epoch(utc(2025, 3, 10))), customer.id, [row]), **change}
    before = _counts()
    preview = staff_client.get(f"{BASE}/new/preview/", form)
    assert preview.status_code == 200
    assert "data-preview-errors" in preview.content.decode()
    assert message in preview.content.decode()
    page = staff_client.post(f"{BASE}/new/", form)
    assert page.status_code == 200
    assert message in page.content.decode()
    assert _counts() == before


def test_roles_and_account_scope(acme, globex, at, catalog):
    customer, launch, _ = catalog
    form = _form(str(clock.to_epoch(utc(2025, 3, 10))), customer.id, [{"price": launch.id}])
    viewer = staff_login(Client(), account=acme.account, role=Role.VIEW_ONLY)
    page = viewer.get(f"{BASE}/new/").content.decode()
    assert "Your role does not allow creating subscriptions." in page
    assert "Create subscription" not in page
    assert "58" not in viewer.get(f"{BASE}/new/preview/", form).content.decode()
    refused = viewer.post(f"{BASE}/new/", form)
    assert "Your role does not allow creating subscriptions." in refused.content.decode()
    assert not Subscription.objects.exists()
    subscription = SubscriptionFactory(account=acme.account)
    billing_settings(acme.account)
    other = staff_login(Client(), account=globex.account)
    before = _counts()
    viewer.post(f"{BASE}/{subscription.id}/pause/", {"behavior": "void"})
    viewer.post(f"{BASE}/{subscription.id}/cancel-at/", {"cancel_at": "2025-03-20T00:00"})
    viewer.post(f"{BASE}/{subscription.id}/add-item/", {"price": launch.id, "quantity": "1"})
    assert _counts() == before
    # Another account's staff neither find the customer nor reach the subscription.
    other_page = other.post(f"{BASE}/new/", form).content.decode()
    assert f"No customer {customer.id}" in other_page
    assert other.post(f"{BASE}/{subscription.id}/pause/", {"behavior": "void"}).status_code == 404
    assert _counts() == before


def test_subscription_page_actions(staff_client, acme, at):  # noqa: F811
    subscription = SubscriptionFactory(account=acme.account)
    intel = PriceFactory(account=acme.account, unit_amount=4900, name="Intel")
    page = f"{BASE}/{subscription.id}/change/"
    html = staff_client.get(page).content.decode()
    for title in ("Add an item", "Pause and resume", "Schedule a cancellation"):
        assert title in html

    added = staff_client.post(
        f"{BASE}/{subscription.id}/add-item/",
        {"price": intel.id, "quantity": "1", "trial_days": "14", "proration_behavior": "none"},
    )
    assert added.status_code == 302
    item = subscription.items.get(price=intel)
    assert item.trial_end == utc(2025, 3, 24)
    both = staff_client.post(
        f"{BASE}/{subscription.id}/add-item/",
        {
            "price": intel.id,
            "quantity": "1",
            "trial_days": "3",
            "trial_end": "2025-03-20T00:00",
            "proration_behavior": "none",
        },
    )
    assert "Give trial days or a trial end, not both." in both.content.decode()
    assert subscription.items.count() == 2

    past = staff_client.post(
        f"{BASE}/{subscription.id}/pause/", {"behavior": "void", "resumes_at": "2025-03-01T00:00"}
    )
    assert "resumes_at must be in the future." in past.content.decode()
    staff_client.post(
        f"{BASE}/{subscription.id}/pause/",
        {"behavior": "keep_as_draft", "resumes_at": "2025-04-20T00:00"},
    )
    subscription.refresh_from_db()
    assert subscription.pause_collection == {
        "behavior": "keep_as_draft",
        "resumes_at": clock.to_epoch(utc(2025, 4, 20)),
    }
    assert "paused (keep_as_draft)" in staff_client.get(page).content.decode()
    staff_client.post(f"{BASE}/{subscription.id}/unpause/")
    subscription.refresh_from_db()
    assert subscription.pause_collection is None

    staff_client.post(
        f"{BASE}/{subscription.id}/cancel-at/",
        {"cancel_at": "2025-03-25T12:00", "proration_behavior": "none"},
    )
    subscription.refresh_from_db()
    assert (subscription.cancel_at, subscription.cancel_at_proration) == (
        utc(2025, 3, 25, 12),
        "none",
    )
    assert "Cancels on 25 Mar 2025, 12:00" in strip_tags(staff_client.get(page).content.decode())
    staff_client.post(f"{BASE}/{subscription.id}/cancel-at/clear/")
    subscription.refresh_from_db()
    assert subscription.cancel_at is None

    not_paused = staff_client.post(
        f"{BASE}/{subscription.id}/resume/",
        {"billing_cycle_anchor": "unchanged", "proration_behavior": "none"},
    )
    assert "is not paused" in not_paused.content.decode()


def test_resume_a_paused_subscription(staff_client, acme, at):  # noqa: F811
    from apps.subscriptions.planning import ItemRequest
    from apps.subscriptions.services import billing_settings_update, subscription_create
    from apps.subscriptions.services.trials import subscription_trials_settle_due

    billing_settings_update(
        account=acme.account, values={"trial_missing_payment_method": "pause"}, actor=SYSTEM
    )
    customer = customer_create(
        account=acme.account, **customer_create_parse({"email": "p@example.com"}), actor=SYSTEM
    )
    price = PriceFactory(account=acme.account, unit_amount=2900, name="Launch")
    subscription = subscription_create(
        account=acme.account,
        customer=customer,
        items=[ItemRequest(price, trial_end=utc(2025, 3, 12))],
        actor=SYSTEM,
    )
    at(utc(2025, 3, 13))
    subscription_trials_settle_due(subscription_id=subscription.id)
    subscription.refresh_from_db()
    assert subscription.status == "paused"
    assert "Resume" in staff_client.get(f"{BASE}/{subscription.id}/change/").content.decode()
    staff_client.post(
        f"{BASE}/{subscription.id}/resume/",
        {"billing_cycle_anchor": "unchanged", "proration_behavior": "none"},
    )
    subscription.refresh_from_db()
    assert subscription.status == "active"
    assert not subscription.items.filter(paused_at__isnull=False).exists()


def test_an_incomplete_subscription_is_a_warning_that_says_why(staff_client, acme, at, catalog):  # noqa: F811
    _customer, launch, _intel = catalog
    declined = customer_create(
        account=acme.account,
        **customer_create_parse({"email": "sam@example.com", "source": "tok_chargeCustomerFail"}),
        actor=SYSTEM,
    )
    page = staff_client.get(f"{BASE}/new/?customer={declined.id}").content.decode()
    now = re.search(r'name="now" value="(\d+)"', page).group(1)

    response = staff_client.post(
        f"{BASE}/new/", _form(now, declined.id, [{"price": launch.id}]), follow=True
    )

    subscription = Subscription.objects.get(customer=declined)
    assert subscription.status == "incomplete"
    invoice = Invoice.objects.get(subscription=subscription)
    [message] = list(response.context["messages"])
    assert message.level_tag == "warning"
    assert str(message) == (
        f"Subscription {subscription.id} was created but is incomplete: the first payment "
        f"failed (Your card was declined.). It becomes active once invoice {invoice.number} "
        "($29.00) is paid."
    )
