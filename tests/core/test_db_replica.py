"""With a replica configured, reporting selectors read it; every other read and every write
stays on default, and nothing is migrated on it.

The ``replica`` alias here is a second connection to the test database itself, which sees what
default committed, as a streaming replica does once it has caught up; it is added before the
test database helper runs so the tests may use it."""

from datetime import date

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test.utils import CaptureQueriesContext

from apps.collections.selectors import recovery_report
from apps.core.db import REPLICA, ReplicaRouter, reporting_reads
from apps.customers.models import Customer
from tests.core.report_rows import first_failure

pytestmark = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])


@pytest.fixture(scope="module", autouse=True)
def _replica_alias(django_db_setup, django_db_blocker):
    configured = REPLICA in settings.DATABASES
    if not configured:
        settings.DATABASES[REPLICA] = dict(connections.settings[DEFAULT_DB_ALIAS])
    assert REPLICA in connections.settings
    yield
    if not configured:
        with django_db_blocker.unblock():
            connections[REPLICA].close()
        del connections[REPLICA]
        del settings.DATABASES[REPLICA]


@pytest.fixture
def replica():
    return connections[REPLICA]


def test_with_a_replica_reporting_selectors_read_it_and_nothing_else_does(replica, acme, at):
    first_failure(acme.account, at)
    with (
        CaptureQueriesContext(connection) as on_default,
        CaptureQueriesContext(replica) as on_replica,
    ):
        report = recovery_report(account=acme.account, start=date(2025, 2, 1), end=date(2025, 2, 1))
        customer = Customer.objects.get(account=acme.account, email="a@example.com")
        customer.description = "Read after a report"
        customer.save(update_fields=["description"])
    assert report.totals.entered == 1
    assert report.totals.failed_amounts == {"usd": 2500}
    assert len(on_replica) == 2
    assert [q["sql"].split()[0] for q in on_default] == ["SELECT", "UPDATE"]


def test_the_router_writes_and_migrates_on_default_only(replica):
    router = ReplicaRouter()
    read_in_report = reporting_reads(lambda: router.db_for_read(Customer))
    assert read_in_report() == REPLICA
    assert router.db_for_read(Customer) == DEFAULT_DB_ALIAS
    assert reporting_reads(lambda: router.db_for_write(Customer))() == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "customers") is True
    assert router.allow_migrate(REPLICA, "customers") is False
