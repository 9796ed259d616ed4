from django.http import HttpRequest, HttpResponse
from unfold.sites import UnfoldAdminSite

from apps.accounts import roles
from apps.dashboard.session import SESSION_TWO_FACTOR_KEY
from apps.dashboard.views.auth import login_view, logout_view, password_change_view
from apps.dashboard.views.search import command_search


class DashboardSite(UnfoldAdminSite):
    """The staff dashboard: Django admin themed by Unfold, scoped to the current account.

    Entry requires a password login completed by a TOTP code and a role on the current account
    (chosen with the switcher and resolved by DashboardAccountMiddleware).
    """

    site_header = "Ledgerline"
    site_title = "Ledgerline"
    index_title = "Dashboard"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and request.session.get(SESSION_TWO_FACTOR_KEY)
            and getattr(request, "account", None) is not None
            and roles.role_allows(getattr(request, "account_role", None), roles.READ)
        )

    # The admin's own sign-in, sign-out and password pages are replaced by the two-step ones
    # (their URLs are routed to apps.dashboard.views.auth first; these cover direct calls).

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        return login_view(request)

    def logout(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        return logout_view(request)

    def password_change(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        return password_change_view(request)

    def search(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        # The Ctrl+K palette (extended=1) searches the current account's objects; the sidebar's
        # plain search, which only matches page names, stays Unfold's.
        if "extended" in request.GET:
            return command_search(request)
        return super().search(request, extra_context)
