"""The lock helper: a row locked for an update does not block the foreign-key check of a row
inserted elsewhere that points at it (PostgreSQL checks it with KEY SHARE at commit), so a
transaction holding an invoice and inserting its payment attempt cannot deadlock with one that
locked the customer first and waits for the invoice (finalize, credit notes)."""

import threading
import time

from django.db import connections, transaction

from apps.collections.attempts import attempts_claim
from apps.core.locks import rows_lock
from apps.customers.models import Customer
from apps.invoices.models import Invoice
from tests.conftest import make_account
from tests.factories import SubscriptionFactory


def test_an_insert_pointing_at_a_locked_customer_commits_while_the_customer_is_held(
    transactional_db,
):
    acme = make_account("Acme")
    subscription = SubscriptionFactory(account=acme.account)
    invoice = Invoice.objects.get(subscription=subscription)
    claimed, customer_held = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def claim() -> None:
        try:
            with transaction.atomic():
                (rows,) = rows_lock(Invoice.objects.filter(id=invoice.id))
                attempts_claim(account=acme.account, invoices=rows, trigger="manual")
                claimed.set()
                customer_held.wait(10)
                time.sleep(0.3)  # the other transaction now waits for the invoice
        except BaseException as error:  # noqa: BLE001 - the outcome under test
            errors.append(error)
        finally:
            connections.close_all()

    def finalize_like() -> None:
        try:
            claimed.wait(10)
            with transaction.atomic():
                rows_lock(Customer.objects.filter(id=invoice.customer_id))
                customer_held.set()
                rows_lock(Invoice.objects.filter(id=invoice.id))
        except BaseException as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim), threading.Thread(target=finalize_like)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert invoice.payment_attempts.filter(outcome="pending").count() == 1
