"""Dashboard → Customer emails: the five kinds and their state, editing a wording with its live
preview, refusing unsafe or malformed placeholders, reset, and role checks."""

from django.test import Client

from apps.accounts.enums import Role
from apps.accounts.models import AuditLogEntry
from apps.collections.email_templates import BUILT_IN
from apps.collections.models import CollectionSettings, EmailTemplate
from tests.conftest import make_account
from tests.customers.conftest import staff_client  # noqa: F401
from tests.dashboard.conftest import staff_login

LIST = "/dashboard/collections/emailtemplate/"
EDIT = LIST + "kind/{}/"
KINDS = ("payment_failed", "final_notice", "receipt", "upcoming_renewal", "card_expiring")


def test_the_list_shows_each_kind_with_its_state_and_wording(staff_client, acme):  # noqa: F811
    CollectionSettings.objects.create(account=acme.account, email_receipt=False)
    EmailTemplate.objects.create(
        account=acme.account, kind="card_expiring", subject="Card {{ card_last4 }}", body="Hi"
    )

    page = staff_client.get(LIST)

    html = page.content.decode()
    assert page.status_code == 200
    rows = {kind: html.split(f'data-email-kind="{kind}"')[1].split("</tr>")[0] for kind in KINDS}
    # The state is shown here and changed on the collection settings page.
    assert '<span class="text-subtle">Off</span>' in rows["receipt"]
    assert all(">On</span>" in row for kind, row in rows.items() if kind != "receipt")
    assert 'type="checkbox"' not in html
    assert 'href="/dashboard/collections/collectionsettings/"' in html
    assert "Your own" in rows["card_expiring"]
    assert "Card {{ card_last4 }}" in rows["card_expiring"]
    assert "Built-in" in rows["payment_failed"]
    assert "Customer emails" in staff_client.get("/dashboard/").content.decode()


def test_saving_a_wording_and_resetting_it(staff_client, acme):  # noqa: F811
    page = staff_client.get(EDIT.format("payment_failed"))
    assert BUILT_IN["payment_failed"].subject in page.content.decode()

    saved = staff_client.post(
        EDIT.format("payment_failed"),
        {"subject": "{{ amount }} is due", "body": "Hello {{ customer_name }},\r\nplease pay."},
    )

    assert saved.status_code == 302
    row = EmailTemplate.objects.get(account=acme.account, kind="payment_failed")
    assert row.subject == "{{ amount }} is due"
    assert row.body == "Hello {{ customer_name }},\nplease pay."  # line ends as the model keeps
    entry = AuditLogEntry.objects.get(account=acme.account, action="email_template.updated")
    assert entry.object_id == "payment_failed"
    assert entry.changes["subject"] == [BUILT_IN["payment_failed"].subject, "{{ amount }} is due"]

    reset = staff_client.post(EDIT.format("payment_failed") + "reset/")

    assert reset.status_code == 302
    assert not EmailTemplate.objects.filter(account=acme.account).exists()
    assert AuditLogEntry.objects.filter(action="email_template.reset").count() == 1
    page = staff_client.get(EDIT.format("payment_failed")).content.decode()
    assert BUILT_IN["payment_failed"].subject in page


def test_unsafe_or_malformed_placeholders_are_refused_with_a_form_error(
    staff_client,  # noqa: F811
    acme,
):
    cases = [
        ("{{ customer.account.secret_key }}", "is not a placeholder"),
        ("{{ settings.SECRET_KEY }}", "is not a placeholder"),
        ("{{ amount|safe }}", "is not a placeholder"),
        ("{% load static %}{% debug %}", "Template tags"),
        ("{{ next_retry_date }}", "Unknown placeholder {{ next_retry_date }}"),  # not a receipt's
        ("{{ amount", "Unbalanced braces"),
    ]
    for body, message in cases:
        page = staff_client.post(EDIT.format("receipt"), {"subject": "Receipt", "body": body})
        assert page.status_code == 200, body
        assert message in page.content.decode(), body
    page = staff_client.post(EDIT.format("receipt"), {"subject": "Paid {{ foo }}", "body": "x"})
    assert "Unknown placeholder {{ foo }}" in page.content.decode()
    assert not EmailTemplate.objects.exists()


def test_the_preview_renders_sample_data_and_escapes_it(staff_client, acme):  # noqa: F811
    preview = staff_client.post(
        EDIT.format("payment_failed") + "preview/",
        {
            "subject": "{{ account_name }}: {{ amount }}",
            "body": "<b>Hi</b> {{ customer_name }}\n\nRetry: {{ next_retry_date }}\n"
            "{{ update_payment_method_url }}",
        },
        HTTP_HX_REQUEST="true",
    )

    html = preview.content.decode()
    assert preview.status_code == 200
    assert "<html" not in html  # a partial
    assert "<strong data-preview-subject>Acme: $49.00</strong>" in html
    assert "<p>&lt;b&gt;Hi&lt;/b&gt; Jenny Rosen</p>" in html
    assert (
        '<a href="https://billing.example.com/payment_method/sample/">'
        "https://billing.example.com/payment_method/sample/</a>" in html
    )
    refused = staff_client.post(
        EDIT.format("payment_failed") + "preview/",
        {"subject": "x", "body": "{{ customer.email }}"},
    )
    assert "data-preview-errors" in refused.content.decode()
    assert not EmailTemplate.objects.exists()


def test_view_only_members_can_look_and_preview_but_not_write(acme):
    client = staff_login(Client(), account=acme.account, role=Role.VIEW_ONLY)
    EmailTemplate.objects.create(account=acme.account, kind="receipt", subject="Mine", body="Mine")

    assert client.get(LIST).status_code == 200
    page = client.get(EDIT.format("receipt")).content.decode()
    assert "does not allow changing account settings" in page
    assert "data-reset-email" not in page
    refused = client.post(EDIT.format("receipt"), {"subject": "Theirs", "body": "Theirs"})
    assert "does not allow changing account settings" in refused.content.decode()
    client.post(EDIT.format("receipt") + "reset/")
    row = EmailTemplate.objects.get(account=acme.account, kind="receipt")
    assert (row.subject, row.body) == ("Mine", "Mine")
    preview = client.post(EDIT.format("receipt") + "preview/", {"subject": "S", "body": "B"})
    assert "data-preview-subject" in preview.content.decode()


def test_another_accounts_wording_is_neither_shown_nor_changed(staff_client, acme):  # noqa: F811
    globex = make_account("Globex").account
    EmailTemplate.objects.create(account=globex, kind="receipt", subject="Globex's", body="G")

    page = staff_client.get(EDIT.format("receipt")).content.decode()
    assert "Globex&#x27;s" not in page
    staff_client.post(EDIT.format("receipt") + "reset/")
    assert EmailTemplate.objects.filter(account=globex).count() == 1
    assert staff_client.get(EDIT.format("nonsense")).status_code == 404


def test_emails_are_turned_on_and_off_on_the_collection_settings_page_not_here(
    staff_client,  # noqa: F811
    acme,
):
    page = staff_client.get(LIST).content.decode()
    assert "data-email-toggles" not in page
    assert "data-toggles-link" in page
    assert 'href="/dashboard/collections/collectionsettings/"' in page
