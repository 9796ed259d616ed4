"""The one list of emitted event types: nothing outside it can be recorded."""

import pytest
from django.db import transaction

from apps.core.events import event_record, events_record
from apps.core.models import Event


def test_an_unlisted_type_cannot_be_recorded(acme):
    with pytest.raises(ValueError, match="'invoice.paidd' is not in"), transaction.atomic():
        event_record(account=acme.account, type="invoice.paidd", data_object={"id": "in_1"})
    assert not Event.objects.exists()


def test_a_batch_with_one_unlisted_type_records_nothing(acme):
    changes = [("invoice.paid", {"id": "in_1"}, None), ("invoice.paidd", {"id": "in_1"}, None)]
    with pytest.raises(ValueError, match="'invoice.paidd' is not in"), transaction.atomic():
        events_record(account=acme.account, changes=changes)
    assert not Event.objects.exists()
