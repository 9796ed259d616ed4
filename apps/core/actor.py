"""Who is acting: a team member in the dashboard, an API key, or Ledgerline itself."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    kind: str  # "user", "api_key" or "system" (the audit log's actor kinds)
    label: str
    user_id: int | None = None
    api_key_id: str | None = None
    # The member's role on the account being acted on (dashboard); None for keys and system.
    role: str | None = None
    ip: str | None = None
    request_id: str | None = None
    idempotency_key: str | None = None


SYSTEM = Actor(kind="system", label="Ledgerline")
