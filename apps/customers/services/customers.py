"""Customer writes: create, update, delete (soft), each audited with its event. What the API
sends is parsed into these arguments by ``apps.customers.api.params``."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from apps.accounts.audit import audit_record, changes_between
from apps.accounts.models import Account, TestClock
from apps.core import clock
from apps.core.actor import Actor
from apps.core.api.params import metadata_merge, within
from apps.core.errors import InvalidRequestError, ResourceMissingError
from apps.core.events import event_record
from apps.core.locks import row_lock, row_lock_update
from apps.customers.enums import BalanceTransactionType, TaxExempt
from apps.customers.models import Customer, PaymentMethod
from apps.customers.render import customer_render
from apps.customers.selectors import customer_balance, customers_with_balance
from apps.customers.services.balance import customer_balance_adjust
from apps.customers.services.payment_methods import (
    payment_method_attach,
    payment_method_detach,
    source_attach,
    source_prepare,
)
from apps.customers.services.payment_methods.requests import SourceEntry
from apps.customers.services.tax_ids import tax_id_create

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_INVOICE_PREFIX = re.compile(r"[A-Z0-9]{3,12}")


@dataclass(frozen=True)
class CustomerFields:
    """A customer's own fields, as a create or an update sets them; a field left None is not
    touched. ``address`` and ``shipping``: {} clears them. ``metadata`` merges as Stripe's does
    (``metadata_merge``). ``default_payment_method`` (``invoice_settings[default_payment_method]``
    on the wire): a payment method attached to the customer, or "" for none."""

    email: str | None = None
    name: str | None = None
    phone: str | None = None
    description: str | None = None
    address: dict[str, str | None] | None = None
    shipping: dict[str, Any] | None = None
    tax_exempt: str | None = None
    invoice_prefix: str | None = None
    preferred_locales: list[str] | None = None
    metadata: dict[str, str] | None = None
    default_payment_method: str | None = None


@dataclass(frozen=True)
class TaxIdData:
    """A tax id to add to a new customer, as ``tax_id_create`` checks it."""

    type: object
    value: object


# The fields of CustomerFields that are customer columns, set as given ({} clears a hash).
_COLUMNS = (
    "email",
    "name",
    "phone",
    "description",
    "address",
    "shipping",
    "tax_exempt",
    "invoice_prefix",
    "preferred_locales",
)


def customer_email_check(email: str) -> None:
    if email and not _EMAIL.match(email):
        raise InvalidRequestError(
            f"Invalid email address: {email}", param="email", code="email_invalid"
        )


def customer_tax_exempt_check(tax_exempt: str) -> None:
    if tax_exempt not in TaxExempt.values:
        raise InvalidRequestError(
            f"Invalid tax_exempt: must be one of {', '.join(TaxExempt.values)}",
            param="tax_exempt",
        )


def customer_invoice_prefix_check(prefix: str) -> None:
    if prefix and not _INVOICE_PREFIX.fullmatch(prefix):
        raise InvalidRequestError(
            "Invalid invoice_prefix: 3 to 12 uppercase letters or digits.",
            param="invoice_prefix",
        )


def customer_locales_check(locales: list[str]) -> None:
    if not all(isinstance(x, str) and 0 < len(x) <= 20 for x in locales):
        raise InvalidRequestError(
            "Invalid array: preferred_locales takes locale codes such as en or fr-CA.",
            param="preferred_locales",
        )


def _fields_check(fields: CustomerFields) -> None:
    if fields.email is not None:
        customer_email_check(fields.email)
    if fields.tax_exempt is not None:
        customer_tax_exempt_check(fields.tax_exempt)
    if fields.invoice_prefix is not None:
        customer_invoice_prefix_check(fields.invoice_prefix)
    if fields.preferred_locales is not None:
        customer_locales_check(fields.preferred_locales)


def _columns(fields: CustomerFields) -> dict[str, Any]:
    """The columns ``fields`` sets, a cleared hash as None."""
    values = {name: getattr(fields, name) for name in _COLUMNS}
    return {
        name: (value or None) if name in ("address", "shipping") else value
        for name, value in values.items()
        if value is not None
    }


def _default_payment_method(
    account: Account, customer: Customer, value: str, param: str
) -> PaymentMethod | None:
    if not value:
        return None
    row = PaymentMethod.objects.filter(
        account=account, id=value, customer=customer, detached_at__isnull=True
    ).first()
    if row is None:
        raise InvalidRequestError(
            f"No such PaymentMethod: '{value}'; it must be attached to {customer.id} first.",
            param=param,
            code="resource_missing",
        )
    return row


def _with_default_payment_method_check(queryset: QuerySet, value: str | None) -> QuerySet:
    """``queryset`` with whether ``value`` names a payment method attached to the customer,
    read with the customer's row instead of after it."""
    if not value:
        return queryset
    attached = PaymentMethod.objects.filter(
        account_id=OuterRef("account_id"),
        customer_id=OuterRef("pk"),
        id=value,
        detached_at__isnull=True,
    )
    return queryset.annotate(default_payment_method_attached=Exists(attached))


def _default_payment_method_set(customer: Customer, value: str) -> None:
    """``invoice_settings[default_payment_method]``: checked by the customer's read
    (``_with_default_payment_method_check``)."""
    if value and not customer.default_payment_method_attached:
        raise InvalidRequestError(
            f"No such PaymentMethod: '{value}'; it must be attached to {customer.id} first.",
            param="invoice_settings[default_payment_method]",
            code="resource_missing",
        )
    customer.default_payment_method_id = value or None


def _record(
    customer: Customer, *, actor: Actor, action: str, previous=None, changes=None, balance=None
) -> None:
    audit_record(
        account=customer.account,
        actor=actor,
        action=action,
        object_type="customer",
        object_id=customer.id,
        changes=changes,
    )
    event_record(
        account=customer.account,
        type=action,
        data_object=customer_render(customer, balance=balance),
        previous_attributes=previous,
        actor=actor,
    )


def _test_clock_check(account: Account, test_clock_id: str | None) -> None:
    # A clock of this account only: the core resolver would also find another account's.
    if test_clock_id and not (
        clock.test_clock_exists(test_clock_id)
        and TestClock.objects.filter(account=account, id=test_clock_id).exists()
    ):
        raise ResourceMissingError("test_clock", test_clock_id, param="test_clock")


def customer_create(
    *,
    account: Account,
    fields: CustomerFields,
    balance: int | None = None,
    currency: str = "",
    test_clock_id: str | None = None,
    tax_ids: Sequence[TaxIdData] = (),
    source: SourceEntry | None = None,
    payment_method_id: str | None = None,
    actor: Actor,
) -> Customer:
    """A customer; ``currency`` (a normalized code, not a Stripe parameter on create) fixes its
    currency up front, ``balance`` is its initial balance in minor units, ``source`` (a token or
    source id, or a card or bank account hash) its default source from the start (one
    ``customer.created``), ``payment_method_id`` a payment method attached to it."""
    _fields_check(fields)
    _test_clock_check(account, test_clock_id)
    prepared = source_prepare(account=account, source=source) if source else None
    with transaction.atomic():
        customer = Customer.objects.create(
            account=account,
            currency=currency,
            metadata=fields.metadata or {},
            test_clock_id=test_clock_id,
            created_at=clock.now(test_clock_id=test_clock_id),
            default_source_id=prepared.id if prepared is not None else None,
            **_columns(fields),
        )
        _record(customer, actor=actor, action="customer.created", balance=0)
        if prepared is not None:
            source_attach(customer=customer, row=prepared, actor=actor)
        for index, tax_id in enumerate(tax_ids):
            # A refusal names the entry (tax_id_data[0][value]), as Stripe's does.
            with within(f"tax_id_data[{index}]"):
                tax_id_create(
                    account=account,
                    customer=customer,
                    type=tax_id.type,
                    value=tax_id.value,
                    actor=actor,
                )
        if balance:
            customer_balance_adjust(
                account=account,
                customer=customer,
                amount=balance,
                currency=currency or account.default_currency,
                actor=actor,
                type=BalanceTransactionType.INITIAL,
            )
        if payment_method_id:
            payment_method_attach(
                account=account, payment_method_id=payment_method_id, customer=customer, actor=actor
            )
        if fields.default_payment_method:
            customer = customer_update(
                account=account,
                customer_id=customer.id,
                fields=CustomerFields(default_payment_method=fields.default_payment_method),
                actor=actor,
            )
        elif balance:
            customer.refresh_from_db()
    return customer


def _customer_read_locked(account: Account, customer_id: str, fields: CustomerFields) -> Customer:
    # An update moves no money: the balance read with the row serves both renders, the event
    # and the answer.
    customer = row_lock(
        _with_default_payment_method_check(
            customers_with_balance(
                Customer.objects.filter(account=account, id=customer_id, deleted_at__isnull=True)
            ),
            fields.default_payment_method,
        )
    )
    if customer is None:
        raise ResourceMissingError("customer", customer_id)
    return customer


def _customer_set(account: Account, customer_id: str, fields: CustomerFields) -> Customer:
    """An update whose new values do not depend on the old ones (no metadata to merge, no
    source): the locked read and the update in one statement (``row_lock_update``), answering
    the row as it was (with its balance and the default payment method check); a refused
    default payment method rolls the update back with the transaction."""
    values: dict[str, Any] = dict(_columns(fields))
    if fields.default_payment_method is not None:
        values["default_payment_method"] = fields.default_payment_method or None
    values["updated_at"] = timezone.now()
    customer = row_lock_update(
        _with_default_payment_method_check(
            customers_with_balance(
                Customer.objects.filter(account=account, id=customer_id, deleted_at__isnull=True)
            ),
            fields.default_payment_method,
        ),
        values,
    )
    if customer is None:
        raise ResourceMissingError("customer", customer_id)
    customer.updated_at = values["updated_at"]
    return customer


def customer_update(
    *,
    account: Account,
    customer_id: str,
    fields: CustomerFields,
    source: SourceEntry | None = None,
    default_source: str | None = None,
    actor: Actor,
) -> Customer:
    """Set ``fields``; a new ``source`` (as ``customer_create`` takes it) becomes the default
    source and the old default is deleted, as Stripe does; else ``default_source`` (an attached
    source's id, or "" for none) is made the default."""
    _fields_check(fields)
    prepared = source_prepare(account=account, source=source) if source else None
    # Nothing to compute from the old row: it is read as it is changed.
    set_as_given = prepared is None and default_source is None and fields.metadata is None
    with transaction.atomic():
        if set_as_given:
            customer = _customer_set(account, customer_id, fields)
        else:
            customer = _customer_read_locked(account, customer_id, fields)
        customer.account = account
        balance = customer_balance(customer)
        before = customer_render(customer, balance=balance)
        for name, value in _columns(fields).items():
            setattr(customer, name, value)
        if fields.metadata is not None:
            customer.metadata = metadata_merge(customer.metadata, fields.metadata)
        if prepared is not None:
            replaced = customer.default_source_id
            customer.default_source = source_attach(customer=customer, row=prepared, actor=actor)
            customer.save(update_fields=["default_source", "updated_at"])
            if replaced:
                payment_method_detach(
                    account=account, payment_method_id=replaced, actor=actor, customer=customer
                )
        elif default_source is not None:
            customer.default_source = _default_payment_method(
                account, customer, default_source, "default_source"
            )
        if fields.default_payment_method is not None:
            _default_payment_method_set(customer, fields.default_payment_method)
        if not set_as_given:
            customer.save()
        after = customer_render(customer, balance=balance)
        previous = {k: v for k, v in before.items() if after.get(k) != v}
        if previous:
            _record(
                customer,
                actor=actor,
                action="customer.updated",
                previous=previous,
                changes={k: [v, after.get(k)] for k, v in previous.items()},
                balance=balance,
            )
    return customer


def customer_delete(*, account: Account, customer_id: str, actor: Actor) -> Customer:
    """Stripe deletes the customer; its charges and invoices stay, so the row is kept."""
    with transaction.atomic():
        customer = row_lock(
            Customer.objects.filter(account=account, id=customer_id, deleted_at__isnull=True)
        )
        if customer is None:
            raise ResourceMissingError("customer", customer_id)
        last = customer_render(customer)
        customer.deleted_at = clock.now()
        customer.save(update_fields=["deleted_at", "updated_at"])
        PaymentMethod.objects.filter(customer=customer).update(
            customer=None, detached_at=customer.deleted_at
        )
        audit_record(
            account=account,
            actor=actor,
            action="customer.deleted",
            object_type="customer",
            object_id=customer.id,
            changes=changes_between({"deleted": False}, {"deleted": True}),
        )
        event_record(account=account, type="customer.deleted", data_object=last, actor=actor)
    return customer
