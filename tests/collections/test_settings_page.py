"""Dashboard → Collection settings: the retry schedule (smart or custom) shown in words, after-
last-retry actions and email toggles saved through an audited service; bad input is a form error
and writes nothing; roles."""

import re
from datetime import timedelta

import pytest
from django.test import Client

from apps.accounts.enums import Role
from apps.accounts.models import AuditLogEntry
from apps.collections.models import CollectionSettings
from apps.collections.settings_services import collection_settings_update
from apps.core.actor import SYSTEM, Actor
from apps.core.errors import InvalidRequestError, PermissionDeniedError
from tests.collections.dunning import RENEWED_AT, failing_renewal
from tests.conftest import make_account
from tests.dashboard.conftest import staff_client, staff_login  # noqa: F401

PAGE = "/dashboard/collections/collectionsettings/"
DEFAULT_SCHEDULE = (
    "7 retries, after 6 h 51 m, 20 h 34 m, 1 d 10 h 17 m, 2 d, 2 d 13 h 43 m, 3 d 3 h 26 m, "
    "3 d 17 h 9 m (each after the attempt before it); the last 14 d after the first failure."
)
EMAILS_ON = {
    "email_payment_failed": "on",
    "email_final_notice": "on",
    "email_receipt": "on",
    "email_upcoming_renewal": "on",
    "email_card_expiring": "on",
}


def checked(html: str) -> list[tuple[str, str]]:
    """The checked radio buttons and checkboxes, as (name, value)."""
    found = []
    for tag in re.findall(r"<input[^>]*>", html):
        if re.search(r"\schecked(?=[\s>/])", tag):
            name = re.search(r'name="([^"]*)"', tag).group(1)
            value = re.search(r'value="([^"]*)"', tag)
            found.append((name, value.group(1) if value else ""))
    return found


def form(**changes) -> dict:
    """The page's form as posted with the defaults, then ``changes`` (None leaves a field out,
    as an unchecked box is)."""
    data = {
        "retry_mode": "smart",
        "retry_attempts": "8",
        "retry_window_days": "14",
        "retry_delays": "",
        "subscription_after": "cancel",
        "invoice_after": "open",
        **EMAILS_ON,
        **changes,
    }
    return {name: value for name, value in data.items() if value is not None}


def test_the_page_shows_the_defaults_and_their_schedule(staff_client):  # noqa: F811
    html = staff_client.get(PAGE).content.decode()

    assert f'<p class="text-sm" data-schedule>{DEFAULT_SCHEDULE}</p>' in html
    assert checked(html) == [
        ("retry_mode", "smart"),
        ("subscription_after", "cancel"),
        ("invoice_after", "open"),
        *[(name, "") for name in EMAILS_ON],
    ]
    assert 'name="retry_attempts" value="8"' in html
    assert '<option value="14" selected>2 weeks</option>' in html
    assert "Collection settings" in staff_client.get("/dashboard/").content.decode()


def test_saving_a_smart_schedule_actions_and_emails(staff_client, acme):  # noqa: F811
    saved = staff_client.post(
        PAGE,
        form(
            retry_attempts="4",
            retry_window_days="30",
            subscription_after="unpaid",
            invoice_after="uncollectible",
            email_receipt=None,
        ),
    )

    assert saved.status_code == 302
    row = CollectionSettings.objects.get(account=acme.account)
    assert (row.retry_mode, row.retry_attempts, row.retry_window_days, row.retry_delays) == (
        "smart",
        4,
        30,
        [],
    )
    assert (row.subscription_after, row.invoice_after) == ("unpaid", "uncollectible")
    assert (row.email_receipt, row.email_payment_failed) == (False, True)
    entry = AuditLogEntry.objects.get(account=acme.account, action="collection_settings.updated")
    assert (entry.object_type, entry.object_id) == ("collection_settings", acme.account.id)
    assert entry.actor_label == f"administrator.{acme.account.id}@example.com"
    assert entry.changes == {
        "retry_attempts": [8, 4],
        "retry_window_days": [14, 30],
        "subscription_after": ["cancel", "unpaid"],
        "invoice_after": ["open", "uncollectible"],
        "email_receipt": [True, False],
    }
    page = staff_client.get(PAGE).content.decode()
    assert (
        "3 retries, after 3 d 8 h, 10 d, 16 d 16 h (each after the attempt before it); "
        "the last 30 d after the first failure."
    ) in page
    assert "Collection settings saved." in page
    assert ("email_receipt", "") not in checked(page)
    assert ("subscription_after", "unpaid") in checked(page)
    # Saving the same values again changes nothing and records nothing.
    staff_client.post(
        PAGE,
        form(
            retry_attempts="4",
            retry_window_days="30",
            subscription_after="unpaid",
            invoice_after="uncollectible",
            email_receipt=None,
        ),
    )
    assert AuditLogEntry.objects.filter(action="collection_settings.updated").count() == 1


def test_a_custom_schedule_is_used_by_the_next_failure(staff_client, acme, at):  # noqa: F811
    saved = staff_client.post(
        PAGE, form(retry_mode="custom", retry_delays=" 3, 5,5 ", retry_attempts="")
    )

    assert saved.status_code == 302
    row = CollectionSettings.objects.get(account=acme.account)
    # The smart fields keep their values for when smart retries are chosen again.
    assert (row.retry_mode, row.retry_delays, row.retry_attempts, row.retry_window_days) == (
        "custom",
        [3, 5, 5],
        8,
        14,
    )
    page = staff_client.get(PAGE).content.decode()
    assert 'name="retry_delays" value="3, 5, 5"' in page
    assert (
        "3 retries, after 3 d, 5 d, 5 d (each after the attempt before it); "
        "the last 13 d after the first failure."
    ) in page
    invoice = failing_renewal(acme.account, at)
    assert invoice.next_payment_attempt == RENEWED_AT + timedelta(days=3)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"retry_mode": "custom", "retry_delays": ""}, "retry_delays", "Between 1 and 8 retries."),
        (
            {"retry_mode": "custom", "retry_delays": "3, soon"},
            "retry_delays",
            "Whole numbers of days, separated by commas.",
        ),
        (
            {"retry_mode": "custom", "retry_delays": "3, 61"},
            "retry_delays",
            "Each retry 1 to 60 days after the last.",
        ),
        (
            {"retry_mode": "custom", "retry_delays": "1, 1, 1, 1, 1, 1, 1, 1, 1"},
            "retry_delays",
            "Between 1 and 8 retries.",
        ),
        ({"retry_attempts": "13"}, "retry_attempts", "Between 1 and 12 tries."),
        ({"retry_attempts": "0"}, "retry_attempts", "Between 1 and 12 tries."),
        ({"retry_attempts": ""}, "retry_attempts", "This field is required."),
        ({"retry_window_days": "45"}, "retry_window_days", "Select a valid choice."),
        ({"retry_mode": "sometimes"}, "retry_mode", "Select a valid choice."),
        ({"subscription_after": "delete"}, "subscription_after", "Select a valid choice."),
        ({"invoice_after": "void"}, "invoice_after", "Select a valid choice."),
    ],
)
def test_bad_input_is_a_form_error_and_writes_nothing(staff_client, acme, changes, field, message):  # noqa: F811
    page = staff_client.post(PAGE, form(**changes, email_receipt=None))

    assert page.status_code == 200
    errors = page.context["form"].errors
    assert list(errors) == [field]
    assert errors[field][0].startswith(message)
    assert message in page.content.decode()
    assert not CollectionSettings.objects.exists()
    assert not AuditLogEntry.objects.filter(action="collection_settings.updated").exists()


def test_view_only_members_see_the_settings_but_cannot_save(acme):
    CollectionSettings.objects.create(account=acme.account, retry_attempts=5)
    viewer = staff_login(Client(), account=acme.account, role=Role.VIEW_ONLY)

    page = viewer.get(PAGE).content.decode()
    assert "Your role lets you see these settings but not change them." in page
    assert 'name="retry_attempts" value="5"' in page
    refused = viewer.post(PAGE, form(retry_attempts="3"))

    assert refused.status_code == 200
    assert "Your role does not allow changing account settings." in refused.content.decode()
    assert CollectionSettings.objects.get(account=acme.account).retry_attempts == 5
    assert not AuditLogEntry.objects.filter(action="collection_settings.updated").exists()


def test_saving_changes_only_the_current_accounts_settings(staff_client, acme):  # noqa: F811
    globex = make_account("Globex").account
    CollectionSettings.objects.create(account=globex, retry_attempts=3)

    staff_client.post(PAGE, form(retry_attempts="6"))

    assert CollectionSettings.objects.get(account=globex).retry_attempts == 3
    assert CollectionSettings.objects.get(account=acme.account).retry_attempts == 6


def test_the_service_checks_its_input_and_the_actors_role(acme):
    viewer = Actor(kind="user", label="v@example.com", user_id=1, role=Role.VIEW_ONLY)
    cases = [
        ({"retry_mode": "custom", "retry_delays": [0]}, "retry_delays"),
        ({"retry_mode": "custom", "retry_delays": "3,5"}, "retry_delays"),
        ({"retry_attempts": True}, "retry_attempts"),
        ({"retry_window_days": 10}, "retry_window_days"),
        ({"subscription_after": "delete"}, "subscription_after"),
        ({"email_receipt": "yes"}, "email_receipt"),
        ({"account_id": "acct_x"}, "account_id"),
    ]
    for changes, param in cases:
        with pytest.raises(InvalidRequestError) as refused:
            collection_settings_update(account=acme.account, actor=SYSTEM, **changes)
        assert refused.value.param == param, changes
    with pytest.raises(PermissionDeniedError):
        collection_settings_update(account=acme.account, actor=viewer, retry_attempts=3)
    assert not CollectionSettings.objects.exists()
    assert not AuditLogEntry.objects.filter(action="collection_settings.updated").exists()
