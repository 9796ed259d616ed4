"""What each team role may do, the same in the dashboard and in services."""

from apps.accounts.enums import Role
from apps.core.actor import Actor
from apps.core.errors import PermissionDeniedError

READ = "read"
EXPORT = "export"
BILLING_WRITE = "billing_write"  # customers, catalog, subscriptions, invoices
PAYMENTS_WRITE = "payments_write"  # charges, refunds, disputes
DEVELOPERS = "developers"  # API keys, webhook endpoints
SANDBOXES = "sandboxes"
TEAM = "team"  # members, roles, invitations
SETTINGS = "settings"  # account settings

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.ADMINISTRATOR: frozenset(
        {READ, EXPORT, BILLING_WRITE, PAYMENTS_WRITE, DEVELOPERS, SANDBOXES, TEAM, SETTINGS}
    ),
    Role.DEVELOPER: frozenset({READ, EXPORT, BILLING_WRITE, PAYMENTS_WRITE, DEVELOPERS, SANDBOXES}),
    Role.ANALYST: frozenset({READ, EXPORT, BILLING_WRITE}),
    Role.SUPPORT_SPECIALIST: frozenset({READ, BILLING_WRITE, PAYMENTS_WRITE}),
    Role.VIEW_ONLY: frozenset({READ}),
}


def role_allows(role: str | None, capability: str) -> bool:
    return role is not None and capability in CAPABILITIES.get(role, frozenset())


def actor_require(actor: Actor, capability: str) -> None:
    """Team members act within their role; API keys are checked per resource at the API edge."""
    if actor.kind != "user":
        return
    if not role_allows(actor.role, capability):
        raise PermissionDeniedError(
            f"Your role ({actor.role or 'none'}) does not allow this action.",
        )
