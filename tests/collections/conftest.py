"""Fixtures of the collections tests."""

from datetime import datetime

import pytest

from apps.core import clock
from tests.collections.dunning import START


@pytest.fixture
def now(monkeypatch):
    """The domain clock, frozen at START until the test moves it."""
    current = {"at": START}
    monkeypatch.setattr(clock, "now", lambda **_: current["at"])

    def set_to(moment: datetime) -> None:
        current["at"] = moment

    set_to.at = lambda: current["at"]
    return set_to
