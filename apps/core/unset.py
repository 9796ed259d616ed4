"""``UNSET``: a setting that was not given, told apart from one given as None (cleared).

Services that take changes (``InvoiceChanges``, ``SubscriptionSettings``) default each field to
``UNSET`` and change only the fields given."""

from enum import Enum
from typing import Final


class Unset(Enum):
    UNSET = "unset"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET
