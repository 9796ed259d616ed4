import pytest

from apps.accounts.enums import AccountKind, ActorKind, Role
from apps.accounts.models import Account, ApiKey, AuditLogEntry
from apps.accounts.selectors import api_key_authenticate
from apps.accounts.services import (
    account_create,
    account_settings_update,
    sandbox_create,
    sandbox_delete,
)
from apps.accounts.services.accounts import MAX_SANDBOXES, register_sandbox_copier
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError, PermissionDeniedError


def _member(role: str) -> Actor:
    return Actor(kind=ActorKind.USER, label="someone@example.com", user_id=None, role=role)


@pytest.mark.django_db
def test_account_create_makes_keys_that_authenticate():
    account, tokens = account_create(name="Acme", country="fr", currency="EUR")
    assert (account.country, account.default_currency, account.livemode) == ("FR", "eur", False)
    assert tokens["secret_key"].startswith("sk_test_")
    assert tokens["publishable_key"].startswith("pk_test_")
    assert api_key_authenticate(token=tokens["secret_key"]).account_id == account.id
    assert ApiKey.objects.filter(account=account).count() == 2
    assert (
        list(AuditLogEntry.objects.filter(account=account).values_list("action", flat=True)).count(
            "account.created"
        )
        == 1
    )


@pytest.mark.django_db
def test_live_account_issues_live_keys():
    _, tokens = account_create(name="Acme", livemode=True)
    assert tokens["secret_key"].startswith("sk_live_")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"), [("currency", "dollars"), ("country", "USA"), ("name", "  ")]
)
def test_account_create_refuses_bad_input_and_writes_nothing(field, value):
    kwargs = {"name": "Acme", "country": "US", "currency": "usd", field: value}
    with pytest.raises(InvalidRequestError) as error:
        account_create(**kwargs)
    assert error.value.param == field
    assert Account.objects.count() == 0
    assert ApiKey.objects.count() == 0


@pytest.mark.django_db
def test_sandbox_copies_settings_and_has_its_own_keys(acme):
    account_settings_update(
        account=acme.account, changes={"proration": "none"}, actor=_member(Role.ADMINISTRATOR)
    )
    copied_into = []
    register_sandbox_copier(lambda source, sandbox: copied_into.append((source.id, sandbox.id)))
    sandbox, tokens = sandbox_create(parent=acme.account, name="QA", actor=_member(Role.DEVELOPER))
    assert sandbox.kind == AccountKind.SANDBOX
    assert sandbox.parent_id == acme.id
    assert sandbox.livemode is False
    assert sandbox.settings == {"proration": "none"}
    assert copied_into[-1] == (acme.id, sandbox.id)
    assert api_key_authenticate(token=tokens["secret_key"]).account_id == sandbox.id
    assert (
        AuditLogEntry.objects.filter(
            account=acme.account, action="sandbox.created", object_id=sandbox.id
        ).count()
        == 1
    )


@pytest.mark.django_db
def test_sandbox_limit(acme):
    for number in range(MAX_SANDBOXES):
        sandbox_create(parent=acme.account, name=f"S{number}", actor=_member(Role.ADMINISTRATOR))
    with pytest.raises(InvalidRequestError) as error:
        sandbox_create(parent=acme.account, name="one too many", actor=_member(Role.ADMINISTRATOR))
    assert error.value.code == "sandbox_limit_reached"
    assert acme.account.sandboxes.count() == MAX_SANDBOXES


@pytest.mark.django_db
def test_sandbox_of_a_sandbox_is_refused(acme):
    sandbox, _ = sandbox_create(parent=acme.account, name="QA", actor=_member(Role.ADMINISTRATOR))
    with pytest.raises(InvalidRequestError):
        sandbox_create(parent=sandbox, name="nested", actor=_member(Role.ADMINISTRATOR))


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.VIEW_ONLY, Role.ANALYST, Role.SUPPORT_SPECIALIST])
def test_roles_without_sandbox_rights_cannot_create_one(acme, role):
    with pytest.raises(PermissionDeniedError):
        sandbox_create(parent=acme.account, name="QA", actor=_member(role))
    assert acme.account.sandboxes.count() == 0


@pytest.mark.django_db
def test_sandbox_delete_removes_its_data_and_keys(acme):
    sandbox, tokens = sandbox_create(
        parent=acme.account, name="QA", actor=_member(Role.ADMINISTRATOR)
    )
    sandbox_delete(sandbox=sandbox, actor=_member(Role.ADMINISTRATOR))
    assert not Account.objects.filter(pk=sandbox.pk).exists()
    assert api_key_authenticate(token=tokens["secret_key"]) is None
    assert AuditLogEntry.objects.filter(account=acme.account, action="sandbox.deleted").count() == 1


@pytest.mark.django_db
def test_only_sandboxes_can_be_deleted(acme):
    with pytest.raises(InvalidRequestError):
        sandbox_delete(sandbox=acme.account, actor=_member(Role.ADMINISTRATOR))
    assert Account.objects.filter(pk=acme.id).exists()


@pytest.mark.django_db
def test_settings_update_requires_settings_capability(acme):
    with pytest.raises(PermissionDeniedError):
        account_settings_update(
            account=acme.account, changes={"x": 1}, actor=_member(Role.DEVELOPER)
        )
    acme.account.refresh_from_db()
    assert acme.account.settings == {}
