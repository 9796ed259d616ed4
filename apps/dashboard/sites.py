from django.http import HttpRequest
from unfold.sites import UnfoldAdminSite

from apps.accounts import roles

SESSION_TWO_FACTOR_KEY = "ledgerline_2fa_verified"


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
