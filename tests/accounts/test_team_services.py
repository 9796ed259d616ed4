import pytest
from django.contrib.auth import get_user_model

from apps.accounts.enums import ActorKind, Role
from apps.accounts.models import AuditLogEntry, Invitation, Membership, SecurityEvent
from apps.accounts.selectors import account_list_for_user, membership_role
from apps.accounts.services import (
    invitation_accept,
    invitation_create,
    invitation_revoke,
    membership_remove,
    membership_role_update,
    sandbox_create,
    staff_user_create,
)
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError, PermissionDeniedError


def _actor(user, role):
    return Actor(kind=ActorKind.USER, label=user.email, user_id=user.pk, role=role)


@pytest.fixture
def admin_user(acme):
    return staff_user_create(
        email="Ada@Example.com",
        password="correct horse battery",
        account=acme.account,
        role=Role.ADMINISTRATOR,
    )


def test_staff_user_create_normalises_email_and_grants_role(acme, admin_user):
    assert admin_user.username == "ada@example.com"
    assert admin_user.is_staff
    assert membership_role(user=admin_user, account=acme.account) == Role.ADMINISTRATOR


def test_staff_user_create_refuses_short_password_and_bad_role(acme):
    with pytest.raises(InvalidRequestError) as short:
        staff_user_create(
            email="b@example.com", password="short", account=acme.account, role=Role.DEVELOPER
        )
    with pytest.raises(InvalidRequestError) as bad_role:
        staff_user_create(
            email="b@example.com", password="long enough pass", account=acme.account, role="owner"
        )
    assert (short.value.param, bad_role.value.param) == ("password", "role")
    assert not get_user_model().objects.filter(username="b@example.com").exists()


def test_sandbox_inherits_parent_role_and_is_listed(acme, admin_user):
    sandbox, _ = sandbox_create(
        parent=acme.account, name="QA", actor=_actor(admin_user, Role.ADMINISTRATOR)
    )
    assert membership_role(user=admin_user, account=sandbox) == Role.ADMINISTRATOR
    assert set(account_list_for_user(user=admin_user)) == {acme.account, sandbox}


def test_no_role_on_foreign_account(acme, globex, admin_user):
    assert membership_role(user=admin_user, account=globex.account) is None
    assert globex.account not in account_list_for_user(user=admin_user)


def test_invitation_flow(acme, admin_user):
    invitation, token = invitation_create(
        account=acme.account,
        email="new@example.com",
        role=Role.SUPPORT_SPECIALIST,
        actor=_actor(admin_user, Role.ADMINISTRATOR),
    )
    user = invitation_accept(token=token, password="a long new password")
    assert membership_role(user=user, account=acme.account) == Role.SUPPORT_SPECIALIST
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    with pytest.raises(InvalidRequestError):
        invitation_accept(token=token, password="a long new password")
    assert SecurityEvent.objects.filter(type="member.invited", account=acme.account).count() == 1


def test_invitation_requires_team_capability(acme, admin_user):
    with pytest.raises(PermissionDeniedError):
        invitation_create(
            account=acme.account,
            email="x@example.com",
            role=Role.VIEW_ONLY,
            actor=_actor(admin_user, Role.DEVELOPER),
        )
    assert Invitation.objects.count() == 0


def test_revoked_invitation_cannot_be_accepted(acme, admin_user):
    invitation, token = invitation_create(
        account=acme.account,
        email="x@example.com",
        role=Role.VIEW_ONLY,
        actor=_actor(admin_user, Role.ADMINISTRATOR),
    )
    invitation_revoke(
        account=acme.account,
        invitation_id=invitation.id,
        actor=_actor(admin_user, Role.ADMINISTRATOR),
    )
    with pytest.raises(InvalidRequestError):
        invitation_accept(token=token, password="a long new password")
    assert not get_user_model().objects.filter(username="x@example.com").exists()


def test_last_administrator_cannot_be_demoted_or_removed(acme, admin_user):
    membership = Membership.objects.get(user=admin_user, account=acme.account)
    actor = _actor(admin_user, Role.ADMINISTRATOR)
    with pytest.raises(InvalidRequestError):
        membership_role_update(
            account=acme.account, membership_id=membership.pk, role=Role.VIEW_ONLY, actor=actor
        )
    with pytest.raises(InvalidRequestError):
        membership_remove(account=acme.account, membership_id=membership.pk, actor=actor)
    membership.refresh_from_db()
    assert membership.role == Role.ADMINISTRATOR


def test_role_change_is_audited(acme, admin_user):
    other = staff_user_create(
        email="dev@example.com",
        password="long enough pass",
        account=acme.account,
        role=Role.DEVELOPER,
    )
    membership = Membership.objects.get(user=other, account=acme.account)
    membership_role_update(
        account=acme.account,
        membership_id=membership.pk,
        role=Role.ANALYST,
        actor=_actor(admin_user, Role.ADMINISTRATOR),
    )
    entry = AuditLogEntry.objects.filter(account=acme.account, action="member.role_changed").latest(
        "id"
    )
    assert entry.changes == {"role": [Role.DEVELOPER, Role.ANALYST]}
    assert entry.actor_user_id == admin_user.pk


def test_membership_of_other_account_is_missing(acme, globex, admin_user):
    foreign = staff_user_create(
        email="g@example.com",
        password="long enough pass",
        account=globex.account,
        role=Role.ADMINISTRATOR,
    )
    membership = Membership.objects.get(user=foreign)
    with pytest.raises(InvalidRequestError) as error:
        membership_remove(
            account=acme.account,
            membership_id=membership.pk,
            actor=_actor(admin_user, Role.ADMINISTRATOR),
        )
    assert error.value.http_status == 404
    assert Membership.objects.filter(pk=membership.pk).exists()
