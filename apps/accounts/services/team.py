import hashlib
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from apps.accounts import roles
from apps.accounts.audit import audit_record, security_event_record
from apps.accounts.enums import ActorKind, Role, SecurityEventType
from apps.accounts.models import Account, Invitation, Membership
from apps.core import clock
from apps.core.actor import SYSTEM, Actor
from apps.core.errors import InvalidRequestError
from apps.core.ids import new_secret
from apps.core.locks import row_lock

INVITATION_LIFETIME = timedelta(days=7)


def _email_clean(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise InvalidRequestError("Enter a valid email address.", param="email") from exc
    return email


def _role_clean(role: str) -> str:
    if role not in Role.values:
        raise InvalidRequestError(
            f"Unknown role '{role}'; use one of {', '.join(Role.values)}.", param="role"
        )
    return role


def _password_clean(password: str, user=None) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise InvalidRequestError(" ".join(exc.messages), param="password") from exc


@transaction.atomic
def staff_user_create(
    *, email: str, password: str, account: Account, role: str, actor: Actor = SYSTEM
):
    """A dashboard login with a role on ``account`` (an existing user just gains the role)."""
    email = _email_clean(email)
    role = _role_clean(role)
    user_model = get_user_model()
    user = user_model.objects.filter(username=email).first()
    if user is None:
        _password_clean(password)
        user = user_model.objects.create_user(
            username=email, email=email, password=password, is_staff=True
        )
    elif not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    membership, created = Membership.objects.update_or_create(
        user=user, account=account, defaults={"role": role}
    )
    audit_record(
        account=account,
        actor=actor,
        action="member.added" if created else "member.role_changed",
        object_type="member",
        object_id=str(user.pk),
        changes={"email": [None, email], "role": [None, role]},
    )
    return user


@transaction.atomic
def membership_role_update(
    *, account: Account, membership_id: int, role: str, actor: Actor
) -> Membership:
    roles.actor_require(actor, roles.TEAM)
    role = _role_clean(role)
    membership = row_lock(
        Membership.objects.select_related("user").filter(account=account, pk=membership_id)
    )
    if membership is None:
        raise InvalidRequestError("No such member.", code="resource_missing", http_status=404)
    if membership.role == Role.ADMINISTRATOR and role != Role.ADMINISTRATOR:
        _ensure_other_administrator(account=account, membership=membership)
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    audit_record(
        account=account,
        actor=actor,
        action="member.role_changed",
        object_type="member",
        object_id=str(membership.user_id),
        changes={"role": [before, role]},
    )
    security_event_record(
        type=SecurityEventType.MEMBER_ROLE_CHANGED,
        account=account,
        user_id=actor.user_id,
        ip=actor.ip,
        detail={"member": membership.user.email, "from": before, "to": role},
    )
    return membership


def _ensure_other_administrator(*, account: Account, membership: Membership) -> None:
    others = (
        Membership.objects.filter(account=account, role=Role.ADMINISTRATOR)
        .exclude(pk=membership.pk)
        .exists()
    )
    if not others:
        raise InvalidRequestError("An account must keep at least one administrator.", param="role")


@transaction.atomic
def membership_remove(*, account: Account, membership_id: int, actor: Actor) -> None:
    roles.actor_require(actor, roles.TEAM)
    membership = row_lock(
        Membership.objects.select_related("user").filter(account=account, pk=membership_id),
        delete=True,
    )
    if membership is None:
        raise InvalidRequestError("No such member.", code="resource_missing", http_status=404)
    if membership.role == Role.ADMINISTRATOR:
        _ensure_other_administrator(account=account, membership=membership)
    audit_record(
        account=account,
        actor=actor,
        action="member.removed",
        object_type="member",
        object_id=str(membership.user_id),
        changes={"email": [membership.user.email, None], "role": [membership.role, None]},
    )
    security_event_record(
        type=SecurityEventType.MEMBER_REMOVED,
        account=account,
        user_id=actor.user_id,
        ip=actor.ip,
        detail={"member": membership.user.email},
    )
    membership.delete()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(
    *, account: Account, email: str, role: str, actor: Actor
) -> tuple[Invitation, str]:
    """Invite someone by email; returns the one-time token for the acceptance link."""
    roles.actor_require(actor, roles.TEAM)
    email = _email_clean(email)
    role = _role_clean(role)
    if Membership.objects.filter(account=account, user__username=email).exists():
        raise InvalidRequestError(f"{email} is already a member of this account.", param="email")
    token = new_secret(40)
    invitation = Invitation.objects.create(
        account=account,
        email=email,
        role=role,
        token_hash=_token_hash(token),
        invited_by_id=actor.user_id,
        expires_at=clock.now() + INVITATION_LIFETIME,
    )
    audit_record(
        account=account,
        actor=actor,
        action="invitation.created",
        object_type="invitation",
        object_id=invitation.id,
        changes={"email": [None, email], "role": [None, role]},
    )
    security_event_record(
        type=SecurityEventType.MEMBER_INVITED,
        account=account,
        user_id=actor.user_id,
        ip=actor.ip,
        detail={"email": email, "role": role},
    )
    return invitation, token


def invitation_get_open(*, token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("account")
        .filter(
            token_hash=_token_hash(token),
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=clock.now(),
        )
        .first()
    )


@transaction.atomic
def invitation_accept(*, token: str, password: str, ip: str | None = None):
    invitation = invitation_get_open(token=token)
    if invitation is None:
        raise InvalidRequestError("This invitation is invalid or has expired.", param="token")
    invitation = row_lock(Invitation.objects.filter(pk=invitation.pk))
    if invitation.accepted_at is not None:
        raise InvalidRequestError("This invitation has already been used.", param="token")
    user_model = get_user_model()
    if not user_model.objects.filter(username=invitation.email).exists():
        _password_clean(password)
    user = staff_user_create(
        email=invitation.email,
        password=password,
        account=invitation.account,
        role=invitation.role,
        actor=Actor(kind=ActorKind.USER, label=invitation.email, ip=ip),
    )
    invitation.accepted_at = clock.now()
    invitation.save(update_fields=["accepted_at", "updated_at"])
    return user


@transaction.atomic
def invitation_revoke(*, account: Account, invitation_id: str, actor: Actor) -> None:
    roles.actor_require(actor, roles.TEAM)
    updated = Invitation.objects.filter(
        account=account, pk=invitation_id, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=clock.now())
    if not updated:
        raise InvalidRequestError(
            "No such open invitation.", code="resource_missing", http_status=404
        )
    audit_record(
        account=account,
        actor=actor,
        action="invitation.revoked",
        object_type="invitation",
        object_id=invitation_id,
    )
