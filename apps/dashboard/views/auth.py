"""Dashboard sign-in: password, then a TOTP code (or enrolment of a first device), sign-out,
password change and invitation acceptance.

Between the two steps the session holds only the id of the user part way through
(``PENDING_LOGIN_KEY``); Django's ``login`` runs after the code, rotating the session key,
and only then does the session get ``SESSION_TWO_FACTOR_KEY``.
"""

from django.contrib import admin, messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from unfold.forms import AdminOwnPasswordChangeForm

from apps.accounts.dashboard.forms import service_error_to_form
from apps.accounts.selectors import staff_user_get, two_factor_device_get, user_get_by_username
from apps.accounts.services import invitation_accept
from apps.accounts.services.auth import (
    LoginOrigin,
    login_code_check,
    login_enrolment_confirm,
    login_enrolment_start,
    login_needs_enrolment,
    login_password_check,
    login_succeeded_record,
    logout_record,
    password_change,
)
from apps.accounts.services.team import invitation_get_open
from apps.accounts.services.two_factor import provisioning_uri
from apps.core import clock
from apps.core.api.views import client_ip
from apps.core.errors import ApplicationError
from apps.dashboard.forms import CodeForm, InvitationAcceptForm, LoginForm
from apps.dashboard.session import SESSION_TWO_FACTOR_KEY

PENDING_LOGIN_KEY = "ledgerline_login_pending"
# Seconds a password step stays good for the code step.
PENDING_LOGIN_LIFETIME = 600


def login_origin(request: HttpRequest) -> LoginOrigin:
    return LoginOrigin(ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", ""))


def _next_url(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("admin:index")


def _page(
    request: HttpRequest, template: str, title: str, *, status: int = 200, **context
) -> HttpResponse:
    return render(
        request,
        f"dashboard/auth/{template}",
        {**admin.site.each_context(request), "title": title, **context},
        status=status,
    )


def _pending_user(request: HttpRequest):
    """The user who passed the password step in this session and has not finished yet."""
    pending = request.session.get(PENDING_LOGIN_KEY)
    if not pending or clock.now().timestamp() - pending["started"] > PENDING_LOGIN_LIFETIME:
        request.session.pop(PENDING_LOGIN_KEY, None)
        return None
    return staff_user_get(user_id=pending["user_id"])


def _login_complete(request: HttpRequest, user) -> HttpResponse:
    pending = request.session.pop(PENDING_LOGIN_KEY)
    login(request, user, backend=pending["backend"])
    request.session[SESSION_TWO_FACTOR_KEY] = True
    login_succeeded_record(user=user, origin=login_origin(request))
    return redirect(_next_url(request, pending.get("next")))


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.user.is_authenticated and request.session.get(SESSION_TWO_FACTOR_KEY):
        if admin.site.has_permission(request):
            return redirect(_next_url(request, next_url))
        return _page(request, "no_account.html", "No account")
    form = LoginForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = login_password_check(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                origin=login_origin(request),
            )
        except ApplicationError as error:
            service_error_to_form(form, error)
        else:
            request.session[PENDING_LOGIN_KEY] = {
                "user_id": user.pk,
                "backend": user.backend,
                "started": clock.now().timestamp(),
                "next": next_url,
            }
            if login_needs_enrolment(user=user):
                login_enrolment_start(user=user)
                return redirect("dashboard:login-enrol")
            return redirect("dashboard:login-code")
    return _page(request, "login.html", "Sign in", form=form, next=next_url)


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_code_view(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("dashboard:login")
    if login_needs_enrolment(user=user):
        return redirect("dashboard:login-enrol")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            login_code_check(
                user=user, code=form.cleaned_data["code"], origin=login_origin(request)
            )
        except ApplicationError as error:
            service_error_to_form(form, error)
        else:
            return _login_complete(request, user)
    return _page(request, "login_code.html", "Two-factor authentication", form=form, user=user)


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_enrol_view(request: HttpRequest) -> HttpResponse:
    user = _pending_user(request)
    if user is None:
        return redirect("dashboard:login")
    device = two_factor_device_get(user=user)
    if device is None or device.confirmed_at is not None:
        return redirect("dashboard:login-code")
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            login_enrolment_confirm(
                user=user, code=form.cleaned_data["code"], origin=login_origin(request)
            )
        except ApplicationError as error:
            service_error_to_form(form, error)
        else:
            return _login_complete(request, user)
    return _page(
        request,
        "login_enrol.html",
        "Set up two-factor authentication",
        form=form,
        secret=device.secret,
        otpauth_uri=provisioning_uri(device),
    )


@csrf_protect
@never_cache
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        logout_record(user=request.user, origin=login_origin(request))
    logout(request)
    messages.info(request, "You have signed out.")
    return redirect("dashboard:login")


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "POST"])
def password_change_view(request: HttpRequest) -> HttpResponse:
    """Django's own-password form; the service sets the password and records the change."""
    form = AdminOwnPasswordChangeForm(
        request.user, request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        try:
            password_change(
                user=request.user,
                new_password=form.cleaned_data["new_password1"],
                origin=login_origin(request),
            )
        except ApplicationError as error:
            service_error_to_form(form, error)
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, "Your password was changed.")
            return redirect("admin:index")
    return render(
        request,
        "dashboard/auth/password_change.html",
        {**admin.site.each_context(request), "title": "Change password", "form": form},
    )


@sensitive_post_parameters("password1", "password2")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """Public page of an invitation link: set a password (new logins) and join the account."""
    invitation = invitation_get_open(token=token)
    if invitation is None:
        return _page(request, "invitation_invalid.html", "Invitation", status=404)
    needs_password = user_get_by_username(username=invitation.email) is None
    form = InvitationAcceptForm(
        request.POST if request.method == "POST" else None, needs_password=needs_password
    )
    if request.method == "POST" and form.is_valid():
        try:
            invitation_accept(token=token, password=form.password(), ip=client_ip(request))
        except ApplicationError as error:
            if error.param == "password":
                form.add_error("password1", error.message)
            else:
                service_error_to_form(form, error)
        else:
            messages.success(
                request, f"You have joined {invitation.account.name}. Sign in to continue."
            )
            return redirect("dashboard:login")
    return _page(
        request,
        "invitation_accept.html",
        "Accept invitation",
        form=form,
        invitation=invitation,
        needs_password=needs_password,
    )
