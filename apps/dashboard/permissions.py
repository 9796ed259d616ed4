"""Sidebar permission callbacks (Unfold calls them with the request)."""

from apps.accounts import roles


def _allows(request, capability: str) -> bool:
    return roles.role_allows(getattr(request, "account_role", None), capability)


def can_read(request) -> bool:
    return _allows(request, roles.READ)


def can_manage_developers(request) -> bool:
    return _allows(request, roles.DEVELOPERS)


def can_manage_team(request) -> bool:
    return _allows(request, roles.TEAM)
