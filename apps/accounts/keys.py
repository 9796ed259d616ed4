"""API key tokens: generation, hashing, display. Pure functions."""

import hashlib

from apps.accounts.enums import ApiKeyKind
from apps.core.ids import new_secret

_PREFIX = {ApiKeyKind.SECRET: "sk", ApiKeyKind.PUBLISHABLE: "pk", ApiKeyKind.RESTRICTED: "rk"}


def token_generate(*, kind: str, livemode: bool) -> str:
    mode = "live" if livemode else "test"
    return f"{_PREFIX[ApiKeyKind(kind)]}_{mode}_{new_secret(48)}"


def token_hash(token: str) -> str:
    # Tokens carry 285 bits of randomness, so a fast hash is enough and keeps auth cheap.
    return hashlib.sha256(token.encode()).hexdigest()


def token_redact(token: str) -> str:
    head, _, _ = token.rpartition("_")
    return f"{head}_…{token[-4:]}"
