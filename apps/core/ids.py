"""Public object ids: ``<prefix>_`` + 24 lowercase base-36 characters.

The first 9 characters encode the creation time in milliseconds and the next 4 a per-process
sequence within that millisecond, so ids of one kind sort in creation order (strictly within a
process, to the millisecond across processes). Lowercase letters and digits compare the same
under every database collation (C, en_US, SQLite's BINARY), which keyset pagination relies on.
"""

import os
import threading
import time

from django.utils.deconstruct import deconstructible

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_TIME_CHARS = 9
_SEQUENCE_CHARS = 4
_RANDOM_CHARS = 11
_SEQUENCE_LIMIT = len(_ALPHABET) ** _SEQUENCE_CHARS
_TAIL_LIMIT = len(_ALPHABET) ** _RANDOM_CHARS
_lock = threading.Lock()
_last = [0, 0]  # [millisecond, sequence] of the last id made in this process
_time_text = [0, ""]  # the last id's millisecond and its base-36 text


# Every two-character string of the alphabet, in order: base 36 two digits at a time.
_PAIRS = [a + b for a in _ALPHABET for b in _ALPHABET]


def _base36(number: int, width: int) -> str:
    chars = []
    for _ in range(width // 2):
        number, rest = divmod(number, 1296)
        chars.append(_PAIRS[rest])
    if width % 2:
        chars.append(_ALPHABET[number % 36])
    return "".join(reversed(chars))


def _next_stamp() -> tuple[str, int]:
    """The time part of the next id (in base 36, kept while the millisecond lasts) and its
    sequence number within that millisecond."""
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
        if _time_text[0] != millisecond:
            _time_text[:] = [millisecond, _base36(millisecond, _TIME_CHARS)]
        return _time_text[1], sequence


# Random bytes from the operating system (as ``secrets`` draws them), read a few kilobytes at a
# time per thread: a system call per draw costs more than the rest of an id where system calls
# are slow (sandboxed kernels), and ids are made by the thousand per renewal batch.
_POOL_BYTES = 4096
_pool = threading.local()


def _pool_reset() -> None:
    global _pool
    _pool = threading.local()  # a forked child must not reuse its parent's bytes


os.register_at_fork(after_in_child=_pool_reset)


def _random_bytes(count: int) -> bytes:
    buffer = getattr(_pool, "buffer", b"")
    start = getattr(_pool, "position", 0)
    if start + count > len(buffer):
        buffer, start = os.urandom(max(_POOL_BYTES, count)), 0
        _pool.buffer = buffer
    _pool.position = start + count
    return buffer[start : start + count]


def _random_below(limit: int) -> int:
    """A uniform random integer in [0, limit): whole bytes, rejecting the uneven top range."""
    size = (limit.bit_length() + 7) // 8 + 1
    span = 256**size
    ceiling = span - span % limit
    while True:
        value = int.from_bytes(_random_bytes(size), "big")
        if value < ceiling:
            return value % limit


_TAIL_DRAW = 8  # bytes per tail draw: 36**11 < 2**57, so 2**64 rejects under 1 % of draws
_TAIL_CEILING = 2**64 - 2**64 % _TAIL_LIMIT


def new_id(prefix: str) -> str:
    moment, sequence = _next_stamp()
    # One draw below 36**11 is the same uniform tail as 11 draws of one character.
    while True:
        draw = int.from_bytes(_random_bytes(_TAIL_DRAW), "big")
        if draw < _TAIL_CEILING:
            break
    return (
        f"{prefix}_{moment}{_PAIRS[sequence // 1296]}{_PAIRS[sequence % 1296]}"
        f"{_base36(draw % _TAIL_LIMIT, _RANDOM_CHARS)}"
    )


_SECRET_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def new_secret(length: int = 32) -> str:
    """A random token of letters and digits for keys and signing secrets (one uniform draw
    below 62**length, written in base 62)."""
    number = _random_below(len(_SECRET_ALPHABET) ** length)
    chars = []
    for _ in range(length):
        number, rest = divmod(number, len(_SECRET_ALPHABET))
        chars.append(_SECRET_ALPHABET[rest])
    return "".join(chars)


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


def client_secret_new(object_id: str) -> str:
    """A payment intent's or source's ``client_secret``: its id, ``_secret_``, 24 random
    characters (about 143 bits)."""
    return f"{object_id}_secret_{new_secret(24)}"
