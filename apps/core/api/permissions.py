from rest_framework.permissions import BasePermission

from apps.accounts.enums import Access, ApiKeyKind

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class KeyHasAccess(BasePermission):
    """Secret keys reach everything; restricted keys per resource; publishable keys only the
    endpoints that allow them (tokens and the like)."""

    def has_permission(self, request, view) -> bool:
        api_key = request.auth
        if api_key is None:
            return False
        if api_key.kind == ApiKeyKind.SECRET:
            return True
        if api_key.kind == ApiKeyKind.PUBLISHABLE:
            return getattr(view, "allow_publishable", False)
        granted = api_key.permissions.get(getattr(view, "resource", ""), Access.NONE)
        needed = Access.READ if request.method in READ_METHODS else Access.WRITE
        return granted == Access.WRITE or granted == needed

    @property
    def message(self) -> str:  # DRF reads this attribute for the error text
        return "The provided key does not have the required permissions for this endpoint."
