"""Team pages: members and roles, invitations end to end, security history."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from apps.accounts.enums import Role, SecurityEventType
from apps.accounts.models import AuditLogEntry, Invitation, Membership, SecurityEvent
from apps.accounts.services import invitation_create, sandbox_create, staff_user_create
from apps.accounts.services.auth import LoginOrigin, login_succeeded_record
from apps.core.actor import SYSTEM
from apps.dashboard.views.team import NEW_INVITATION_SESSION_KEY
from tests.dashboard.conftest import PASSWORD, staff_login, totp_code

TEAM_URL = reverse("dashboard:team")
INVITE_URL = reverse("dashboard:team-invite")
SECURITY_URL = reverse("dashboard:security-history")


@pytest.fixture
def frozen():
    with time_machine.travel(datetime(2026, 11, 24, 12, 0, 5, tzinfo=UTC), tick=False) as t:
        yield t


def _member(account, email: str, role: str = Role.DEVELOPER) -> Membership:
    user = staff_user_create(email=email, password=PASSWORD, account=account, role=role)
    return Membership.objects.get(user=user, account=account)


def test_team_lists_members_and_open_invitations(staff_client, acme, globex):
    _member(acme.account, "dev@example.com")
    _member(globex.account, "other@example.com")
    invitation_create(account=acme.account, email="new@example.com", role="analyst", actor=SYSTEM)

    response = staff_client.get(TEAM_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert [m.user.email for m in response.context["members"]] == [
        f"administrator.{acme.id}@example.com",
        "dev@example.com",
    ]
    assert "other@example.com" not in html
    assert 'data-invitation="new@example.com"' in html
    assert "Send invitation" in html


def test_invitation_flow_end_to_end(staff_client, acme, frozen):
    # when: an administrator invites
    response = staff_client.post(INVITE_URL, {"email": "Grace@Example.com", "role": "developer"})

    # then: the link is shown once and mailed
    assert response.status_code == 302
    assert response["Location"] == TEAM_URL
    page = staff_client.get(TEAM_URL)
    link = page.context["new_invitation"]["link"]
    assert re.fullmatch(r"http://testserver/dashboard/invitations/[A-Za-z0-9]{40}/", link)
    assert link in page.content.decode()
    assert NEW_INVITATION_SESSION_KEY not in staff_client.session
    assert link not in staff_client.get(TEAM_URL).content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["grace@example.com"]
    assert link in mail.outbox[0].body
    invitation = Invitation.objects.get(account=acme.account)
    assert (invitation.email, invitation.role) == ("grace@example.com", "developer")
    assert AuditLogEntry.objects.filter(action="invitation.created").count() == 1

    # when: the invitee opens the link and mistypes the second password
    guest = Client()
    path = link.removeprefix("http://testserver")
    assert guest.get(path).status_code == 200
    mismatch = guest.post(path, {"password1": "a long password", "password2": "a long passw0rd"})

    # then: nothing is written
    assert mismatch.status_code == 200
    assert "The two passwords differ." in mismatch.content.decode()
    assert not Membership.objects.filter(user__username="grace@example.com").exists()

    # when: too short a password
    short = guest.post(path, {"password1": "short", "password2": "short"})
    assert "too short" in short.content.decode()
    assert not Membership.objects.filter(user__username="grace@example.com").exists()

    # when: a good password
    accepted = guest.post(path, {"password1": "a long password", "password2": "a long password"})

    # then: a member, sent to sign in, and the link is spent
    assert accepted.status_code == 302
    assert accepted["Location"] == reverse("dashboard:login")
    membership = Membership.objects.get(user__username="grace@example.com")
    assert (membership.account_id, membership.role) == (acme.id, "developer")
    assert membership.user.is_staff
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert guest.get(path).status_code == 404

    # and: signing in takes the new member through enrolment
    signed = guest.post(
        reverse("dashboard:login"), {"username": "grace@example.com", "password": "a long password"}
    )
    assert signed["Location"] == reverse("dashboard:login-enrol")
    done = guest.post(reverse("dashboard:login-enrol"), {"code": totp_code(membership.user)})
    assert done.status_code == 302
    assert guest.get(reverse("admin:index")).wsgi_request.account == acme.account


def test_invalid_invitation_link_is_404(db):
    response = Client().get(reverse("dashboard:invitation-accept", args=["x" * 40]))

    assert response.status_code == 404
    assert "invalid or has expired" in response.content.decode()


def test_invite_errors_are_form_errors(staff_client, acme):
    _member(acme.account, "dev@example.com")

    bad_email = staff_client.post(INVITE_URL, {"email": "not an email", "role": "developer"})
    member = staff_client.post(INVITE_URL, {"email": "dev@example.com", "role": "developer"})

    assert bad_email.context["form"].errors == {"email": ["Enter a valid email address."]}
    assert "dev@example.com is already a member of this account." in member.content.decode()
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_view_only_cannot_invite(acme):
    client = staff_login(Client(), account=acme.account, role=Role.VIEW_ONLY)
    audit_before = AuditLogEntry.objects.count()

    page = client.get(TEAM_URL)
    response = client.post(INVITE_URL, {"email": "new@example.com", "role": "administrator"})

    assert "Send invitation" not in page.content.decode()
    assert response.status_code == 200
    assert "Your role (view_only) does not allow this action." in response.content.decode()
    assert not Invitation.objects.exists()
    assert mail.outbox == []
    assert AuditLogEntry.objects.count() == audit_before


def test_role_change_with_htmx_returns_the_row(staff_client, acme):
    member = _member(acme.account, "dev@example.com")
    url = reverse("dashboard:team-member-role", args=[member.pk])

    response = staff_client.post(url, {"role": "analyst"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith(
        f'<tr class="border-t border-base-200 dark:border-base-800" id="member-{member.pk}"'
    )
    assert '<option value="analyst" selected>' in html
    assert "<html" not in html
    member.refresh_from_db()
    assert member.role == "analyst"
    audit = AuditLogEntry.objects.get(action="member.role_changed", object_id=str(member.user_id))
    assert audit.changes == {"role": ["developer", "analyst"]}


def test_last_administrator_cannot_be_demoted(staff_client, acme):
    admin_member = Membership.objects.get(account=acme.account, role=Role.ADMINISTRATOR)
    url = reverse("dashboard:team-member-role", args=[admin_member.pk])
    audit_before = AuditLogEntry.objects.count()

    htmx = staff_client.post(url, {"role": "view_only"}, HTTP_HX_REQUEST="true")
    plain = staff_client.post(url, {"role": "view_only"}, follow=True)

    assert "An account must keep at least one administrator." in htmx.content.decode()
    assert "data-row-error" in htmx.content.decode()
    assert "An account must keep at least one administrator." in plain.content.decode()
    admin_member.refresh_from_db()
    assert admin_member.role == Role.ADMINISTRATOR
    assert AuditLogEntry.objects.count() == audit_before


def test_remove_member(staff_client, acme):
    member = _member(acme.account, "dev@example.com")

    response = staff_client.post(
        reverse("dashboard:team-member-remove", args=[member.pk]), HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    assert response.content == b""
    assert not Membership.objects.filter(pk=member.pk).exists()
    assert AuditLogEntry.objects.filter(action="member.removed").count() == 1


def test_members_of_other_accounts_are_404(staff_client, globex):
    foreign = _member(globex.account, "other@example.com")

    role = staff_client.post(
        reverse("dashboard:team-member-role", args=[foreign.pk]), {"role": "analyst"}
    )
    remove = staff_client.post(reverse("dashboard:team-member-remove", args=[foreign.pk]))

    assert (role.status_code, remove.status_code) == (404, 404)
    foreign.refresh_from_db()
    assert foreign.role == Role.DEVELOPER


def test_revoke_invitation(staff_client, acme):
    invitation, _ = invitation_create(
        account=acme.account, email="new@example.com", role="analyst", actor=SYSTEM
    )

    response = staff_client.post(reverse("dashboard:team-invitation-revoke", args=[invitation.id]))

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert 'data-invitation="new@example.com"' not in staff_client.get(TEAM_URL).content.decode()


def test_sandbox_shows_its_live_accounts_team(staff_client, acme):
    sandbox, _ = sandbox_create(parent=acme.account, name="Staging", actor=SYSTEM)
    staff_client.post(reverse("dashboard:account-switch"), {"account": sandbox.id})

    response = staff_client.get(TEAM_URL)

    assert response.context["team_account"] == acme.account
    assert "Sandboxes share the team of" in response.content.decode()


def test_security_history(staff_client, acme, globex):
    member = _member(acme.account, "dev@example.com")
    outsider = _member(globex.account, "other@example.com")
    login_succeeded_record(user=member.user, origin=LoginOrigin(ip="10.0.0.1"))
    login_succeeded_record(user=outsider.user, origin=LoginOrigin(ip="10.0.0.2"))

    response = staff_client.get(SECURITY_URL)

    assert response.status_code == 200
    events = list(response.context["events"])
    assert [(e.type, e.username) for e in events if e.user_id] == [
        (SecurityEventType.LOGIN_SUCCEEDED, "dev@example.com")
    ]
    # The account's own events (its keys, made with the account) and none of Globex's.
    assert {e.account_id for e in events if not e.user_id} == {acme.id}
    assert "10.0.0.2" not in response.content.decode()
    assert SecurityEvent.objects.filter(type="login.succeeded").count() == 2


def test_security_history_is_for_administrators(acme):
    client = staff_login(Client(), account=acme.account, role=Role.DEVELOPER)

    assert client.get(SECURITY_URL).status_code == 403
