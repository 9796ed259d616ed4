"""Billing customizations saved at once by many staff members: each save gets its own revision,
in order, and exactly one stays in force."""

from apps.accounts.models import AuditLogEntry
from apps.core.actor import SYSTEM
from apps.extensions.models import BillingCustomization
from apps.extensions.services import billing_customization_save
from tests.conftest import make_account
from tests.races.conftest import RACERS, race


def test_concurrent_saves_number_their_revisions_and_leave_one_in_force(transactional_db):
    acme = make_account("Acme")
    results = race(
        lambda i: billing_customization_save(
            account=acme.account,
            stage="billing.prorations",
            implementation="minimum_threshold",
            config={"minimum": 100 * (i + 1)},
            actor=SYSTEM,
        )
    )
    failures = [r for r in results if isinstance(r, Exception)]
    assert failures == [], failures
    rows = BillingCustomization.objects.filter(account=acme.account).order_by("revision")
    assert [row.revision for row in rows] == list(range(1, RACERS + 1))
    assert sorted(row.config["minimum"] for row in rows) == [100 * (i + 1) for i in range(RACERS)]
    assert [row.revision for row in rows if row.superseded_at is None] == [RACERS]
    # Each revision supersedes the one before it, never a later one.
    for earlier, later in zip(rows, rows[1:], strict=False):
        assert earlier.superseded_at == later.created_at
    assert AuditLogEntry.objects.filter(action="billing_customization.saved").count() == RACERS
