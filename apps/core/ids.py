"""Public object ids: ``<prefix>_`` + 24 lowercase base-36 characters.

The first 9 characters encode the creation time in milliseconds and the next 4 a per-process
sequence within that millisecond, so ids of one kind sort in creation order (strictly within a
process, to the millisecond across processes). Lowercase letters and digits compare the same
under every database collation (C, en_US, SQLite's BINARY), which keyset pagination relies on.
"""

import secrets
import threading
import time

from django.utils.deconstruct import deconstructible

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_TIME_CHARS = 9
_SEQUENCE_CHARS = 4
_RANDOM_CHARS = 11
_SEQUENCE_LIMIT = len(_ALPHABET) ** _SEQUENCE_CHARS
_lock = threading.Lock()
_last = [0, 0]  # [millisecond, sequence] of the last id made in this process


def _base36(number: int, width: int) -> str:
    chars = []
    for _ in range(width):
        number, rest = divmod(number, 36)
        chars.append(_ALPHABET[rest])
    return "".join(reversed(chars))


def _next_stamp() -> tuple[int, int]:
    with _lock:
        millisecond = time.time_ns() // 1_000_000
        if millisecond <= _last[0]:
            millisecond, sequence = _last[0], _last[1] + 1
            if sequence >= _SEQUENCE_LIMIT:
                # The sequence field is full: borrow the next millisecond rather than wrap
                # around (a wrapped sequence would sort before the ids already made).
                millisecond, sequence = millisecond + 1, 0
        else:
            sequence = 0
        _last[0], _last[1] = millisecond, sequence
        return millisecond, sequence


def new_id(prefix: str) -> str:
    millisecond, sequence = _next_stamp()
    stamp = _base36(millisecond, _TIME_CHARS) + _base36(sequence, _SEQUENCE_CHARS)
    tail = "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_CHARS))
    return f"{prefix}_{stamp}{tail}"


def new_secret(length: int = 32) -> str:
    """A random token of letters and digits for keys and signing secrets."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(length))


@deconstructible
class IdGenerator:
    """Field default that makes ids with one prefix (serialisable into migrations)."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def __call__(self) -> str:
        return new_id(self.prefix)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IdGenerator) and other.prefix == self.prefix

    def __hash__(self) -> int:
        return hash(self.prefix)
