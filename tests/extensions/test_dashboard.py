"""Dashboard → Billing → Billing customizations: the list, a stage's settings form generated from
its implementation's fields, form errors that write nothing, saving, resetting, roles; and the
invoice page naming the implementations that computed the invoice."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from apps.accounts.enums import Role
from apps.accounts.models import AuditLogEntry
from apps.core.actor import SYSTEM
from apps.extensions.forms import ChoiceForm, config_form_field
from apps.extensions.models import BillingCustomization
from apps.extensions.services import billing_customization_save
from apps.invoices.engine.stages import STAGES, ConfigField, implementation_get
from apps.invoices.models import Invoice
from tests.dashboard.conftest import staff_client, staff_login  # noqa: F401
from tests.factories import PriceFactory, SubscriptionFactory

PRORATIONS = "billing.prorations"
LIST = reverse("admin:extensions_billingcustomization_changelist")


def _stage_url(stage: str = PRORATIONS, query: str = "") -> str:
    url = reverse("admin:extensions_billingcustomization_stage", args=[stage])
    return f"{url}?{query}" if query else url


def _written(account) -> tuple[int, int]:
    return (
        BillingCustomization.objects.filter(account=account).count(),
        AuditLogEntry.objects.filter(account=account, object_type="billing_customization").count(),
    )


def test_the_list_shows_every_stage_with_its_default(staff_client):  # noqa: F811
    page = staff_client.get(LIST)
    assert page.status_code == 200
    html = page.content.decode()
    for stage in STAGES.values():
        assert f'data-stage="{stage.id}"' in html
        assert escape(implementation_get(stage.id, stage.default).title) in html
    assert "Billing customizations" in html  # the sidebar entry and the title
    assert html.count("(the default)") == len(STAGES)


def test_the_list_shows_a_saved_choice_its_version_and_settings(acme, staff_client):  # noqa: F811
    price = PriceFactory(account=acme.account, name="Pro")
    billing_customization_save(
        account=acme.account,
        stage=PRORATIONS,
        implementation="minimum_threshold",
        config={"minimum": 500},
        actor=SYSTEM,
    )
    billing_customization_save(
        account=acme.account,
        stage=PRORATIONS,
        implementation="none",
        config={},
        price=price,
        actor=SYSTEM,
    )
    html = staff_client.get(LIST).content.decode()
    assert "Minimum proration threshold · version 1" in html
    assert '<dd class="col-span-3" data-setting="minimum">$5.00</dd>' in html
    assert f'data-override="{price.id}"' in html
    assert "No prorations · version 1" in html
    assert html.count("(the default)") == len(STAGES) - 1


def test_the_stage_page_generates_the_settings_form(staff_client):  # noqa: F811
    page = staff_client.get(_stage_url(query="implementation=minimum_threshold"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="config[minimum]"' in html
    assert "In USD, e.g. 5.00." in html
    for key in ("by_second", "custom_interval", "none", "minimum_threshold"):
        assert f'data-implementation="{key}"' in html
    enum = staff_client.get(_stage_url(query="implementation=custom_interval")).content.decode()
    assert '<select name="config[unit]"' in enum
    assert '<option value="week">week</option>' in enum


def test_an_unknown_stage_is_not_found(staff_client):  # noqa: F811
    assert staff_client.get(_stage_url("billing.taxes")).status_code == 404


def test_saving_from_the_form_types_money_in_the_accounts_currency(acme, staff_client):  # noqa: F811
    response = staff_client.post(
        _stage_url(query="implementation=minimum_threshold"),
        {"config[minimum]": "5.00", "price": "", "action": "save"},
    )
    assert response.status_code == 302
    assert response.url == LIST
    row = BillingCustomization.objects.get(account=acme.account)
    assert (row.implementation, row.config, row.revision, row.price) == (
        "minimum_threshold",
        {"minimum": 500},
        1,
        None,
    )
    assert row.created_by == f"administrator.{acme.id}@example.com"
    entry = AuditLogEntry.objects.get(action="billing_customization.saved")
    assert entry.actor_label == row.created_by
    activity = staff_client.get(reverse("admin:accounts_auditlogentry_changelist"))
    assert "billing_customization.saved" in activity.content.decode()
    # The form shows the saved value back in major units.
    html = staff_client.get(_stage_url()).content.decode()
    assert 'value="5.00"' in html


def test_a_per_price_override_from_the_form(acme, staff_client):  # noqa: F811
    price = PriceFactory(account=acme.account, name="Pro")
    staff_client.post(
        _stage_url(query="implementation=none"), {"price": price.id, "action": "save"}
    )
    row = BillingCustomization.objects.get(account=acme.account)
    assert (row.implementation, row.price_id) == ("none", price.id)
    html = staff_client.get(_stage_url(query=f"price={price.id}")).content.decode()
    assert "the override for Pro" in html


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("five", "Enter the amount in USD as a number, e.g. 25.00."),
        ("5.001", "USD amounts have at most 2 digits after the point."),
        ("-1.00", "Must not be negative."),
        ("", "This field is required."),
    ],
)
def test_bad_settings_are_form_errors_and_write_nothing(acme, staff_client, typed, error):  # noqa: F811
    page = staff_client.post(
        _stage_url(query="implementation=minimum_threshold"),
        {"config[minimum]": typed, "action": "save"},
    )
    assert page.status_code == 200
    html = page.content.decode()
    assert error in html
    # Only the setting is checked on saving, not the preview's picks.
    assert html.count("This field is required.") == (1 if typed == "" else 0)
    assert _written(acme.account) == (0, 0)


def test_a_member_who_may_not_change_settings_sees_but_cannot_save(acme):
    client = staff_login(Client(), account=acme.account, role=Role.SUPPORT_SPECIALIST)
    html = client.get(_stage_url(query="implementation=minimum_threshold")).content.decode()
    assert "Your role lets you preview a choice but not save it." in html
    page = client.post(
        _stage_url(query="implementation=minimum_threshold"),
        {"config[minimum]": "5.00", "action": "save"},
    )
    assert "Your role does not allow changing account settings." in page.content.decode()
    client.post(reverse("admin:extensions_billingcustomization_reset", args=[PRORATIONS]))
    assert _written(acme.account) == (0, 0)


def test_reset_from_the_list(acme, staff_client):  # noqa: F811
    row = billing_customization_save(
        account=acme.account,
        stage=PRORATIONS,
        implementation="minimum_threshold",
        config={"minimum": 500},
        actor=SYSTEM,
    )
    response = staff_client.post(
        reverse("admin:extensions_billingcustomization_reset", args=[PRORATIONS])
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.superseded_at is not None
    assert "Prorations: back to the default." in staff_client.get(LIST).content.decode()


def test_form_fields_of_every_kind():
    money = config_form_field(
        ConfigField("minimum", "monetary_amount", "Minimum", 0), currency="jpy"
    )
    assert money.clean("500") == 500
    assert money.prepare_value(500) == "500"
    integer = config_form_field(ConfigField("days", "integer", "Days", 30), currency="usd")
    assert integer.clean("45") == 45
    percent = config_form_field(ConfigField("share", "percent", "Share", 10), currency="usd")
    assert percent.clean("100") == 100
    with pytest.raises(Exception, match="less than or equal to 100"):
        percent.clean("101")
    enum = config_form_field(
        ConfigField("unit", "enum", "Unit", "day", choices=("day", "week")), currency="usd"
    )
    assert enum.clean("week") == "week"
    flag = config_form_field(ConfigField("on", "boolean", "On", False), currency="usd")
    assert (flag.clean(True), flag.clean(False), flag.widget.input_type) == (
        True,
        False,
        "checkbox",
    )


def test_the_choice_form_gives_the_service_its_config(acme):
    form = ChoiceForm(
        {"config[amount]": "1,000.00", "config[days_until_due]": "14"},
        account=acme.account,
        stage=STAGES["payments.collection"],
        implementation=implementation_get("payments.collection", "send_invoice_above"),
    )
    assert form.is_valid(), form.errors
    assert form.config() == {"amount": 100000, "days_until_due": 14}
    assert "price" not in form.fields  # the stage is chosen for the whole account only


def test_the_invoice_page_names_the_implementations_that_computed_it(acme, staff_client):  # noqa: F811
    SubscriptionFactory(account=acme.account)
    invoice = Invoice.objects.get(account=acme.account)
    Invoice.objects.filter(pk=invoice.pk).update(
        stages={
            PRORATIONS: {"implementation": "minimum_threshold", "version": 1, "fallback": False},
            "billing.compute_bill": {"implementation": "standard", "version": 1, "fallback": True},
        }
    )
    html = staff_client.get(
        reverse("admin:invoices_invoice_change", args=[invoice.id])
    ).content.decode()
    assert f'data-invoice-stage="{PRORATIONS}"' in html
    assert ">minimum_threshold · version 1</dd>" in html
    assert ">standard · version 1 · it failed, the default's result was used</dd>" in html


def test_the_stage_page_lists_the_revisions(acme, staff_client):  # noqa: F811
    for minimum in (500, 700):
        billing_customization_save(
            account=acme.account,
            stage=PRORATIONS,
            implementation="minimum_threshold",
            config={"minimum": minimum},
            actor=SYSTEM,
        )
    html = staff_client.get(_stage_url()).content.decode()
    newest, oldest = html.split('data-revision="2"')[1].split('data-revision="1"')
    assert "Minimum proration threshold · version 1" in newest
    assert "Minimum: $7.00" in newest
    assert "in force" in newest
    assert "Minimum: $5.00" in oldest
    assert "superseded" in oldest
    assert 'value="7.00"' in html  # the form starts from the choice in force
