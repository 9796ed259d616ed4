"""Sign-in, two-factor, account switcher, sandboxes, team (namespace ``dashboard``).

``login/``, ``logout/`` and ``password_change/`` sit at the admin's own paths and come first,
so the admin's links and its redirect for signed-out visitors reach these views.
"""

from django.contrib import admin
from django.urls import path

from apps.dashboard.views import accounts, auth, team

# admin_view: signed in with two-factor, a role on the current account, CSRF, no caching.
_view = admin.site.admin_view

urlpatterns = [
    path("login/", auth.login_view, name="login"),
    path("login/code/", auth.login_code_view, name="login-code"),
    path("login/enrol/", auth.login_enrol_view, name="login-enrol"),
    path("logout/", auth.logout_view, name="logout"),
    path("password_change/", _view(auth.password_change_view), name="password-change"),
    path("invitations/<str:token>/", auth.invitation_accept_view, name="invitation-accept"),
    path("switch/", _view(accounts.account_switch_view), name="account-switch"),
    path("sandboxes/", _view(accounts.sandbox_list_view), name="sandbox-list"),
    path("sandboxes/new/", _view(accounts.sandbox_create_view), name="sandbox-create"),
    path(
        "sandboxes/<str:sandbox_id>/created/",
        _view(accounts.sandbox_created_view),
        name="sandbox-created",
    ),
    path(
        "sandboxes/<str:sandbox_id>/delete/",
        _view(accounts.sandbox_delete_view),
        name="sandbox-delete",
    ),
    path("team/", _view(team.team_view), name="team"),
    path("team/invite/", _view(team.team_invite_view), name="team-invite"),
    path(
        "team/members/<int:membership_id>/role/",
        _view(team.team_member_role_view),
        name="team-member-role",
    ),
    path(
        "team/members/<int:membership_id>/remove/",
        _view(team.team_member_remove_view),
        name="team-member-remove",
    ),
    path(
        "team/invitations/<str:invitation_id>/revoke/",
        _view(team.team_invitation_revoke_view),
        name="team-invitation-revoke",
    ),
    path("team/security/", _view(team.security_history_view), name="security-history"),
    path(
        "team/security/export/",
        _view(team.security_history_export_view),
        name="security-history-export",
    ),
    path(
        "team/activity/export/",
        _view(team.team_activity_export_view),
        name="team-activity-export",
    ),
]
