"""A draft choice previewed before it is saved (ACCEPTANCE B1's figures): the next invoice under
the saved choices and under the draft, computed by the API's preview code, nothing written."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.enums import Role
from apps.accounts.models import AuditLogEntry
from apps.core.actor import SYSTEM
from apps.core.models import Event
from apps.extensions.models import BillingCustomization
from apps.extensions.preview import choice_preview, draft_choices
from apps.extensions.services import billing_customization_save
from apps.invoices.engine.periods import utc
from apps.invoices.engine.stages import DEFAULTS, Choice
from apps.invoices.models import Invoice, InvoiceItem
from apps.subscriptions.models import SubscriptionItem
from tests.dashboard.conftest import staff_client, staff_login  # noqa: F401
from tests.factories import PriceFactory, SubscriptionFactory

PRORATIONS = "billing.prorations"
MINIMUM = Choice(PRORATIONS, "minimum_threshold", 1, {"minimum": 500})
STAGE_URL = reverse("admin:extensions_billingcustomization_stage", args=[PRORATIONS])


@pytest.fixture
def basic_to_pro(acme, at):
    """Basic $25/month since 2025-01-01; on 2025-01-16 the move to Pro $27 is previewed."""
    subscription = SubscriptionFactory(account=acme.account)
    pro = PriceFactory(account=acme.account, unit_amount=2700, name="Pro")
    at(utc(2025, 1, 16))
    return subscription, pro


def _snapshot() -> tuple:
    return tuple(
        model.objects.count()
        for model in (
            Invoice,
            InvoiceItem,
            SubscriptionItem,
            BillingCustomization,
            AuditLogEntry,
            Event,
        )
    )


def test_the_draft_waives_the_proration_the_saved_choice_bills(acme, basic_to_pro):
    subscription, pro = basic_to_pro
    before = _snapshot()
    preview = choice_preview(
        account=acme.account, subscription=subscription, draft=MINIMUM, change_to=pro
    )
    assert _snapshot() == before
    assert preview.at == utc(2025, 1, 16)
    assert preview.change_to == pro
    assert sorted(line["amount"] for line in preview.current.lines) == [-1290, 1394, 2700]
    assert (preview.current.proration, preview.current.total) == (104, 2804)
    assert [line["amount"] for line in preview.draft.lines] == [2700]
    assert (preview.draft.proration, preview.draft.total) == (0, 2700)


def test_the_saved_choice_is_the_current_side(acme, basic_to_pro):
    subscription, pro = basic_to_pro
    billing_customization_save(
        account=acme.account,
        stage=PRORATIONS,
        implementation="minimum_threshold",
        config={"minimum": 500},
        actor=SYSTEM,
    )
    back = Choice(PRORATIONS, "by_second", 1, {})
    preview = choice_preview(
        account=acme.account, subscription=subscription, draft=back, change_to=pro
    )
    assert (preview.current.proration, preview.current.total) == (0, 2700)
    assert (preview.draft.proration, preview.draft.total) == (104, 2804)


def test_a_draft_for_one_price_applies_to_its_lines_only(acme, basic_to_pro):
    subscription, pro = basic_to_pro
    other = PriceFactory(account=acme.account, unit_amount=900, name="Other")
    mine = choice_preview(
        account=acme.account, subscription=subscription, draft=MINIMUM, price=pro, change_to=pro
    )
    theirs = choice_preview(
        account=acme.account, subscription=subscription, draft=MINIMUM, price=other, change_to=pro
    )
    assert (mine.draft.proration, theirs.draft.proration) == (0, 104)


def test_draft_choices_replace_one_stage_or_one_price():
    choices = draft_choices(DEFAULTS, MINIMUM)
    assert choices.account == {PRORATIONS: MINIMUM}
    assert choices.prices == {}
    priced = draft_choices(choices, Choice(PRORATIONS, "none", 1, {}), price=PriceStub("price_1"))
    assert priced.account == {PRORATIONS: MINIMUM}
    assert priced.prices == {(PRORATIONS, "price_1"): Choice(PRORATIONS, "none", 1, {})}


class PriceStub:
    def __init__(self, id: str) -> None:
        self.id = id


def test_the_page_previews_both_sides_and_writes_nothing(acme, basic_to_pro, staff_client):  # noqa: F811
    subscription, pro = basic_to_pro
    before = _snapshot()
    page = staff_client.post(
        f"{STAGE_URL}?implementation=minimum_threshold",
        {
            "config[minimum]": "5.00",
            "price": "",
            "subscription": subscription.id,
            "change_to": pro.id,
            "action": "preview",
        },
    )
    assert page.status_code == 200
    assert _snapshot() == before
    html = page.content.decode()
    current, draft = html.split('data-preview-side="current"')[1].split('data-preview-side="draft"')
    assert "data-preview-proration>$1.04<" in current
    assert "data-preview-total>$28.04<" in current
    assert "data-preview-proration>$0.00<" in draft
    assert "data-preview-total>$27.00<" in draft
    assert "With Minimum proration threshold" in draft


def test_a_preview_needs_the_price_to_move_to(acme, basic_to_pro, staff_client):  # noqa: F811
    subscription, _ = basic_to_pro
    page = staff_client.post(
        f"{STAGE_URL}?implementation=minimum_threshold",
        {"config[minimum]": "5.00", "subscription": subscription.id, "action": "preview"},
    )
    html = page.content.decode()
    assert "Choose the price to preview the change to." in html
    assert "data-choice-preview" not in html


def test_a_preview_with_bad_settings_shows_the_error(acme, basic_to_pro, staff_client):  # noqa: F811
    subscription, pro = basic_to_pro
    before = _snapshot()
    page = staff_client.post(
        f"{STAGE_URL}?implementation=minimum_threshold",
        {
            "config[minimum]": "-5.00",
            "subscription": subscription.id,
            "change_to": pro.id,
            "action": "preview",
        },
    )
    html = page.content.decode()
    assert "Must not be negative." in html
    assert "data-choice-preview" not in html
    assert _snapshot() == before


def test_another_stage_previews_the_next_invoice(acme, basic_to_pro, staff_client):  # noqa: F811
    subscription, _ = basic_to_pro
    url = reverse(
        "admin:extensions_billingcustomization_stage", args=["billing.customer_balance_application"]
    )
    page = staff_client.post(
        f"{url}?implementation=keep_reserve",
        {"config[reserve]": "1.00", "subscription": subscription.id, "action": "preview"},
    )
    html = page.content.decode()
    assert 'name="change_to"' not in html
    assert html.count("data-preview-total>$25.00<") == 2


def test_a_member_who_may_not_save_may_still_preview(acme, basic_to_pro):
    subscription, pro = basic_to_pro
    client = staff_login(Client(), account=acme.account, role=Role.SUPPORT_SPECIALIST)
    before = _snapshot()
    page = client.post(
        f"{STAGE_URL}?implementation=minimum_threshold",
        {
            "config[minimum]": "5.00",
            "subscription": subscription.id,
            "change_to": pro.id,
            "action": "preview",
        },
    )
    html = page.content.decode()
    assert "data-choice-preview" in html
    assert 'name="action" value="save"' not in html
    assert _snapshot() == before
