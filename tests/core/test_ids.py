"""Public ids: shape, order and uniqueness, without a database."""

import re
import threading

import pytest

from apps.core import ids
from apps.core.ids import IdGenerator, new_id, new_secret

ID_TAIL = re.compile(r"^[0-9a-z]{24}$")


def test_prefix_length_and_alphabet():
    for prefix in ("evt", "cus", "sub_sched", "req"):
        value = new_id(prefix)
        head, _, tail = value.rpartition("_")
        assert head == prefix
        assert len(value) == len(prefix) + 1 + 24
        assert ID_TAIL.match(tail), value


def test_ids_sort_in_creation_order_within_a_process():
    made = [new_id("evt") for _ in range(5000)]
    assert made == sorted(made)


def test_ten_thousand_ids_are_unique():
    made = {new_id("cus") for _ in range(10_000)}
    assert len(made) == 10_000


def test_ids_from_many_threads_are_unique_and_each_threads_ids_are_ordered():
    per_thread: dict[int, list[str]] = {}

    def make(n: int) -> None:
        per_thread[n] = [new_id("evt") for _ in range(1000)]

    threads = [threading.Thread(target=make, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [value for values in per_thread.values() for value in values]
    assert len(set(every)) == 8000
    for values in per_thread.values():
        assert values == sorted(values)


def test_time_part_encodes_the_millisecond(monkeypatch):
    monkeypatch.setattr(ids, "_last", [0, 0])
    monkeypatch.setattr(ids.time, "time_ns", lambda: 1_700_000_000_123_456_789)
    value = new_id("evt")
    assert value[4:13] == ids._base36(1_700_000_000_123, 9)
    assert int(value[4:13], 36) == 1_700_000_000_123
    assert value[13:17] == "0000"


def test_a_clock_that_goes_back_does_not_break_the_order(monkeypatch):
    moments = iter([2_000_000_000_000_000_000, 1_999_999_999_000_000_000])
    monkeypatch.setattr(ids, "_last", [0, 0])
    monkeypatch.setattr(ids.time, "time_ns", lambda: next(moments))
    first, second = new_id("evt"), new_id("evt")
    assert second > first
    assert second[4:13] == first[4:13]
    assert second[13:17] == "0001"


def test_a_full_sequence_moves_to_the_next_millisecond(monkeypatch):
    # Regression: the 4-character sequence used to wrap to 0000 and sort before earlier ids.
    millisecond = 1_700_000_000_000
    monkeypatch.setattr(ids, "_last", [millisecond, 36**4 - 2])
    monkeypatch.setattr(ids.time, "time_ns", lambda: millisecond * 1_000_000)
    last_in_ms, overflow = new_id("evt"), new_id("evt")
    assert last_in_ms[13:17] == "zzzz"
    assert int(overflow[4:13], 36) == millisecond + 1
    assert overflow[13:17] == "0000"
    assert overflow > last_in_ms


def test_secret_alphabet_and_length():
    secret = new_secret(48)
    assert len(secret) == 48
    assert re.fullmatch(r"[0-9A-Za-z]{48}", secret)
    assert new_secret() != new_secret()


@pytest.mark.parametrize(("a", "b", "equal"), [("evt", "evt", True), ("evt", "cus", False)])
def test_id_generator_equality_follows_the_prefix(a, b, equal):
    assert (IdGenerator(a) == IdGenerator(b)) is equal
    assert (hash(IdGenerator(a)) == hash(IdGenerator(b))) is equal
    assert IdGenerator(a)().startswith(f"{a}_")
