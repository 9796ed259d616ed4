"""Without ``DATABASE_REPLICA_URL`` everything, reports included, reads and writes default."""

from datetime import date

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection
from django.test.utils import CaptureQueriesContext

from apps.collections.selectors import recovery_report
from apps.core.db import REPLICA, ReplicaRouter, reporting_reads
from apps.customers.models import Customer
from tests.core.report_rows import first_failure


def test_without_a_replica_reports_read_default(acme, at):
    if REPLICA in settings.DATABASES:
        pytest.skip("DATABASE_REPLICA_URL is set")
    first_failure(acme.account, at)
    with CaptureQueriesContext(connection) as on_default:
        report = recovery_report(account=acme.account, start=date(2025, 2, 1), end=date(2025, 2, 1))
    assert report.totals.entered == 1
    assert len(on_default) == 2  # by decline code, by day
    router = ReplicaRouter()
    assert reporting_reads(lambda: router.db_for_read(Customer))() == DEFAULT_DB_ALIAS
