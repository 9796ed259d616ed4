"""Account switcher and sandboxes pages."""

from django.test import Client
from django.urls import reverse

from apps.accounts.enums import AccountKind, Role
from apps.accounts.models import Account, ApiKey, AuditLogEntry
from apps.accounts.services import sandbox_create
from apps.accounts.services.accounts import MAX_SANDBOXES
from apps.core.actor import SYSTEM
from apps.dashboard.middleware import SESSION_ACCOUNT_KEY
from apps.dashboard.views.accounts import NEW_SANDBOX_SESSION_KEY
from tests.dashboard.conftest import staff_login

SWITCH_URL = reverse("dashboard:account-switch")
SANDBOX_LIST_URL = reverse("dashboard:sandbox-list")
SANDBOX_CREATE_URL = reverse("dashboard:sandbox-create")


def _sandbox(parent: Account, name: str = "Staging") -> Account:
    sandbox, _ = sandbox_create(parent=parent, name=name, actor=SYSTEM)
    return sandbox


def test_switcher_lists_accounts_grouped_and_marks_the_current_one(staff_client, acme, globex):
    sandbox = _sandbox(acme.account)

    response = staff_client.get(SWITCH_URL)

    assert response.status_code == 200
    groups = {g.title: [a.id for a in g.accounts] for g in response.context["groups"]}
    assert groups == {"Your accounts": [acme.id], "Sandboxes of Acme": [sandbox.id]}
    html = response.content.decode()
    assert globex.id not in html
    assert html.count("data-current-account") == 1
    assert response.context["current"] == acme.account


def test_switcher_refuses_a_foreign_account(staff_client, acme, globex):
    response = staff_client.post(SWITCH_URL, {"account": globex.id})

    assert response.status_code == 404
    assert staff_client.session[SESSION_ACCOUNT_KEY] == acme.id


def test_switcher_refuses_a_foreign_sandbox(staff_client, globex):
    foreign = _sandbox(globex.account)

    response = staff_client.post(SWITCH_URL, {"account": foreign.id})

    assert response.status_code == 404


def test_switch_to_a_sandbox(staff_client, acme):
    sandbox = _sandbox(acme.account)

    response = staff_client.post(SWITCH_URL, {"account": sandbox.id})

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert staff_client.session[SESSION_ACCOUNT_KEY] == sandbox.id
    page = staff_client.get(reverse("admin:index"))
    assert page.wsgi_request.account == sandbox
    assert page.wsgi_request.account_role == Role.ADMINISTRATOR
    assert f"Sandbox: {sandbox.name}" in page.content.decode()


def test_switch_with_htmx_redirects_the_client(staff_client, acme):
    sandbox = _sandbox(acme.account)

    response = staff_client.post(SWITCH_URL, {"account": sandbox.id}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("admin:index")
    assert staff_client.session[SESSION_ACCOUNT_KEY] == sandbox.id


def test_header_dropdown_offers_the_other_accounts(staff_client, acme):
    sandbox = _sandbox(acme.account)

    html = staff_client.get(reverse("admin:index")).content.decode()

    assert f'data-account-id="{sandbox.id}"' in html
    assert f'hx-post="{SWITCH_URL}"' in html
    assert f'data-account-id="{acme.id}"' not in html  # the current one is not a switch target


def test_sandbox_create_shows_the_secret_key_once_and_audits(staff_client, acme):
    # when
    response = staff_client.post(SANDBOX_CREATE_URL, {"name": "  QA  "})

    # then
    sandbox = Account.objects.get(parent=acme.account)
    assert (sandbox.name, sandbox.kind, sandbox.livemode) == ("QA", AccountKind.SANDBOX, False)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:sandbox-created", args=[sandbox.id])
    page = staff_client.get(response["Location"])
    secret_key = page.context["secret_key"]
    assert secret_key.startswith("sk_test_")
    assert secret_key in page.content.decode()
    assert ApiKey.objects.get(account=sandbox, kind="secret").redacted.endswith(secret_key[-4:])
    assert NEW_SANDBOX_SESSION_KEY not in staff_client.session
    again = staff_client.get(response["Location"])
    assert again.context["secret_key"] is None
    assert secret_key not in again.content.decode()
    audit = AuditLogEntry.objects.get(account=acme.account, action="sandbox.created")
    assert audit.object_id == sandbox.id
    assert audit.actor_label == f"administrator.{acme.id}@example.com"
    assert audit.changes == {"name": [None, "QA"]}
    assert AuditLogEntry.objects.filter(account=sandbox, action="account.created").count() == 1
    listing = staff_client.get(SANDBOX_LIST_URL).content.decode()
    assert f'data-sandbox-id="{sandbox.id}"' in listing


def test_sandbox_create_without_a_name_writes_nothing(staff_client, acme):
    response = staff_client.post(SANDBOX_CREATE_URL, {"name": "   "})

    assert response.status_code == 200
    assert response.context["form"].errors == {"name": ["This field is required."]}
    assert not Account.objects.filter(parent=acme.account).exists()


def test_sandbox_limit_is_a_form_error(staff_client, acme):
    for n in range(MAX_SANDBOXES):
        _sandbox(acme.account, f"Sandbox {n}")
    audit_before = AuditLogEntry.objects.count()

    response = staff_client.post(SANDBOX_CREATE_URL, {"name": "One more"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        f"An account can have at most {MAX_SANDBOXES} sandboxes."
    ]
    assert "data-form-errors" in response.content.decode()
    assert Account.objects.filter(parent=acme.account).count() == MAX_SANDBOXES
    assert AuditLogEntry.objects.count() == audit_before


def test_sandbox_delete_after_confirmation(staff_client, acme):
    sandbox = _sandbox(acme.account)
    staff_client.post(SWITCH_URL, {"account": sandbox.id})
    url = reverse("dashboard:sandbox-delete", args=[sandbox.id])

    confirm = staff_client.get(url)
    assert confirm.status_code == 200
    assert Account.objects.filter(pk=sandbox.id).exists()

    response = staff_client.post(url)

    assert response.status_code == 302
    assert response["Location"] == SANDBOX_LIST_URL
    assert not Account.objects.filter(pk=sandbox.id).exists()
    audit = AuditLogEntry.objects.get(account=acme.account, action="sandbox.deleted")
    assert (audit.object_id, audit.changes) == (sandbox.id, {"name": ["Staging", None]})
    # The session was working in the deleted sandbox: it is back on the live account.
    assert staff_client.session[SESSION_ACCOUNT_KEY] == acme.id


def test_sandbox_delete_of_another_accounts_sandbox_is_404(staff_client, globex):
    foreign = _sandbox(globex.account)

    response = staff_client.post(reverse("dashboard:sandbox-delete", args=[foreign.id]))

    assert response.status_code == 404
    assert Account.objects.filter(pk=foreign.id).exists()


def test_view_only_cannot_create_or_delete_sandboxes(acme):
    client = staff_login(Client(), account=acme.account, role=Role.VIEW_ONLY)
    sandbox = _sandbox(acme.account)
    audit_before = AuditLogEntry.objects.count()

    listing = client.get(SANDBOX_LIST_URL)
    created = client.post(SANDBOX_CREATE_URL, {"name": "Mine"})
    deleted = client.post(reverse("dashboard:sandbox-delete", args=[sandbox.id]))

    assert listing.status_code == 200
    assert "Create sandbox" not in listing.content.decode()
    assert reverse("dashboard:sandbox-delete", args=[sandbox.id]) not in listing.content.decode()
    refusal = "Your role (view_only) does not allow this action."
    for response in (created, deleted):
        assert response.status_code == 200
        assert refusal in response.content.decode()
    assert list(Account.objects.filter(parent=acme.account)) == [sandbox]
    assert AuditLogEntry.objects.count() == audit_before


def test_a_new_session_starts_on_the_live_account_not_a_sandbox(acme):
    _sandbox(acme.account, "Aardvark")  # sorts before the live account by kind and name
    client = staff_login(Client(), account=acme.account)
    session = client.session
    del session[SESSION_ACCOUNT_KEY]
    session.save()

    response = client.get(reverse("admin:index"))

    assert response.wsgi_request.account == acme.account
    assert client.session[SESSION_ACCOUNT_KEY] == acme.id
