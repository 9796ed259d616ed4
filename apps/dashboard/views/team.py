"""Team: members and roles, invitations, security history.

A sandbox shares its live account's team, so these pages always work on the live account.
Role changes and removals answer htmx requests with the member's row (``team.html#member-row``)
and plain requests with a redirect, so the page works without JavaScript too.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.accounts import roles
from apps.accounts.dashboard.forms import service_error_to_form
from apps.accounts.models import Invitation, Membership
from apps.accounts.selectors import invitation_list_open, member_list, security_event_list
from apps.accounts.services import (
    invitation_create,
    invitation_revoke,
    membership_remove,
    membership_role_update,
)
from apps.accounts.services.exports import (
    AuditLogFilters,
    audit_log_export,
    security_history_export,
)
from apps.core.errors import ApplicationError, PermissionDeniedError
from apps.dashboard.forms import InvitationCreateForm, RoleForm
from apps.dashboard.views.accounts import actor_on, live_account, page

NEW_INVITATION_SESSION_KEY = "ledgerline_new_invitation"
SECURITY_EVENTS_PER_PAGE = 50


def _can_manage(request: HttpRequest) -> bool:
    return roles.role_allows(actor_on(request, live_account(request)).role, roles.TEAM)


def _member_or_404(request: HttpRequest, membership_id: int) -> Membership:
    member = member_list(account=live_account(request)).filter(pk=membership_id).first()
    if member is None:
        raise Http404("No such member")
    return member


def _with_role_form(member: Membership) -> Membership:
    member.role_form = RoleForm.for_member(member)
    return member


def _team_page(request: HttpRequest, form: InvitationCreateForm) -> HttpResponse:
    account = live_account(request)
    return page(
        request,
        "team/team.html",
        "Members and invitations",
        team_account=account,
        members=[_with_role_form(member) for member in member_list(account=account)],
        invitations=invitation_list_open(account=account),
        form=form,
        can_manage=_can_manage(request),
        new_invitation=request.session.pop(NEW_INVITATION_SESSION_KEY, None),
    )


@require_GET
def team_view(request: HttpRequest) -> HttpResponse:
    return _team_page(request, InvitationCreateForm())


def _invitation_email_send(request: HttpRequest, invitation: Invitation, link: str) -> bool:
    try:
        send_mail(
            subject=f"You are invited to {invitation.account.name} on Ledgerline",
            message=(
                f"{request.user.email or request.user.get_username()} invited you to join "
                f"{invitation.account.name} on Ledgerline as {invitation.get_role_display()}.\n\n"
                f"Accept the invitation and choose a password here:\n{link}\n\n"
                f"The link works once and expires on {invitation.expires_at:%Y-%m-%d %H:%M} UTC."
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[invitation.email],
        )
    except OSError:  # smtplib errors are OSErrors; the link is still shown to the inviter
        return False
    return True


@require_POST
def team_invite_view(request: HttpRequest) -> HttpResponse:
    form = InvitationCreateForm(request.POST)
    if form.is_valid():
        account = live_account(request)
        try:
            invitation, token = invitation_create(
                account=account,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                actor=actor_on(request, account),
            )
        except ApplicationError as error:
            service_error_to_form(form, error)
        else:
            link = request.build_absolute_uri(reverse("dashboard:invitation-accept", args=[token]))
            sent = _invitation_email_send(request, invitation, link)
            request.session[NEW_INVITATION_SESSION_KEY] = {
                "email": invitation.email,
                "link": link,
                "sent": sent,
            }
            return redirect("dashboard:team")
    return _team_page(request, form)


def _member_row(request: HttpRequest, member: Membership, error: str = "") -> HttpResponse:
    return render(
        request,
        "dashboard/team/team.html#member-row",
        {"member": _with_role_form(member), "can_manage": _can_manage(request), "row_error": error},
    )


def _member_result(
    request: HttpRequest, member: Membership | None, *, done: str, error: ApplicationError | None
) -> HttpResponse:
    """htmx: the member's row again (or nothing once removed); otherwise back to the page."""
    if request.htmx:
        if member is None:
            return HttpResponse("")
        return _member_row(request, member, error.message if error else "")
    if error is not None:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("dashboard:team")


@require_POST
def team_member_role_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    member = _member_or_404(request, membership_id)
    form = RoleForm(request.POST)
    error = None
    if not form.is_valid():
        error = ApplicationError("Choose one of the roles in the list.", param="role")
    else:
        account = live_account(request)
        try:
            member = membership_role_update(
                account=account,
                membership_id=member.pk,
                role=form.cleaned_data["role"],
                actor=actor_on(request, account),
            )
        except ApplicationError as exc:
            error = exc
            member.refresh_from_db()
    return _member_result(
        request,
        member,
        done=f"{member.user.email} is now {member.get_role_display()}.",
        error=error,
    )


@require_POST
def team_member_remove_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    member = _member_or_404(request, membership_id)
    account = live_account(request)
    try:
        membership_remove(
            account=account, membership_id=member.pk, actor=actor_on(request, account)
        )
    except ApplicationError as error:
        return _member_result(request, member, done="", error=error)
    return _member_result(
        request, None, done=f"{member.user.email} was removed from the team.", error=None
    )


@require_POST
def team_invitation_revoke_view(request: HttpRequest, invitation_id: str) -> HttpResponse:
    account = live_account(request)
    try:
        invitation_revoke(
            account=account, invitation_id=invitation_id, actor=actor_on(request, account)
        )
    except ApplicationError as error:
        if error.http_status == 404:
            raise Http404("No such invitation") from None
        messages.error(request, error.message)
    else:
        messages.success(request, "The invitation was revoked.")
    return redirect("dashboard:team")


@require_GET
def security_history_view(request: HttpRequest) -> HttpResponse:
    if not _can_manage(request):
        raise PermissionDenied("Only administrators can see the security history.")
    account = live_account(request)
    paginator = Paginator(security_event_list(account=account), SECURITY_EVENTS_PER_PAGE)
    events = paginator.get_page(request.GET.get("page"))
    return page(
        request,
        "team/security_history.html",
        "Security history",
        team_account=account,
        events=events,
    )


def _csv_download(export) -> HttpResponse:
    response = HttpResponse(export.content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@require_GET
def team_activity_export_view(request: HttpRequest) -> HttpResponse:
    """Team activity as CSV, with the list's filters (action, actor kind, object id)."""
    filters = AuditLogFilters(
        action=request.GET.get("action", ""),
        actor_kind=request.GET.get("actor_kind__exact", ""),
        object_id=request.GET.get("q", "").strip(),
    )
    try:
        export = audit_log_export(
            account=request.account,
            actor=actor_on(request, request.account),
            filters=filters,
            user_agent=request.headers.get("User-Agent", ""),
        )
    except PermissionDeniedError as error:
        raise PermissionDenied(error.message) from error
    return _csv_download(export)


@require_GET
def security_history_export_view(request: HttpRequest) -> HttpResponse:
    account = live_account(request)
    try:
        export = security_history_export(
            account=account,
            actor=actor_on(request, account),
            user_agent=request.headers.get("User-Agent", ""),
        )
    except PermissionDeniedError as error:
        raise PermissionDenied(error.message) from error
    return _csv_download(export)
