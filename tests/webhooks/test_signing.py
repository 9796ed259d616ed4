"""The signature scheme, against Stripe's published vector and the official SDK."""

import time

import pytest
import stripe

from apps.webhooks.signing import (
    secret_generate,
    signature_compute,
    signature_header,
    signature_verify,
)

# stripe-semantics.md §12.8, computed with stripe-python 16 and cross-checked with hmac.
VECTOR_SECRET = "whsec_test"
VECTOR_TIMESTAMP = 1700000000
VECTOR_BODY = '{"id":"evt_1","object":"event"}'
VECTOR_HEADER = "t=1700000000,v1=4c15fb2a43f93ef61eaa3e0893866d57cad9cad4223242cfb96f362480cb4021"


def test_header_matches_the_reference_vector():
    header = signature_header(payload=VECTOR_BODY, secret=VECTOR_SECRET, timestamp=VECTOR_TIMESTAMP)
    assert header == VECTOR_HEADER


def test_bytes_and_text_payloads_sign_the_same():
    as_bytes = signature_compute(
        payload=VECTOR_BODY.encode(), secret=VECTOR_SECRET, timestamp=VECTOR_TIMESTAMP
    )
    assert as_bytes == VECTOR_HEADER.split("v1=")[1]


def test_sdk_generates_the_same_header():
    sdk_header = stripe.WebhookSignature.generate_signature_header(
        VECTOR_BODY, VECTOR_SECRET, timestamp=VECTOR_TIMESTAMP
    )
    assert sdk_header == VECTOR_HEADER


def test_sdk_construct_event_accepts_a_fresh_signature():
    secret = secret_generate()
    body = '{"id":"evt_2","object":"event","type":"invoice.paid","data":{"object":{}}}'
    header = signature_header(payload=body, secret=secret, timestamp=int(time.time()))
    event = stripe.Webhook.construct_event(body, header, secret)
    assert event.id == "evt_2"
    assert event.type == "invoice.paid"


def test_sdk_rejects_another_secret_and_a_changed_body():
    secret = secret_generate()
    body = '{"id":"evt_3","object":"event"}'
    header = signature_header(payload=body, secret=secret, timestamp=int(time.time()))
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, header, secret_generate())
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body.replace("evt_3", "evt_4"), header, secret)


def test_sdk_reference_vector_passes_without_tolerance_and_fails_with_it():
    event = stripe.Webhook.construct_event(
        VECTOR_BODY, VECTOR_HEADER, VECTOR_SECRET, tolerance=None
    )
    assert event.id == "evt_1"
    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.Webhook.construct_event(VECTOR_BODY, VECTOR_HEADER, VECTOR_SECRET, tolerance=300)


def test_verify_checks_signature_then_age():
    kwargs = {"payload": VECTOR_BODY, "header": VECTOR_HEADER, "secret": VECTOR_SECRET}
    assert signature_verify(**kwargs, now=VECTOR_TIMESTAMP + 300) is True
    assert signature_verify(**kwargs, now=VECTOR_TIMESTAMP + 301) is False
    assert signature_verify(**kwargs, now=VECTOR_TIMESTAMP + 10**6, tolerance=None) is True
    assert signature_verify(**{**kwargs, "secret": "whsec_other"}, now=VECTOR_TIMESTAMP) is False
    # Several v1 entries (a secret being rolled): one match is enough; v0 is ignored.
    rolled = VECTOR_HEADER.replace("t=1700000000,", "t=1700000000,v1=00ff,v0=abcd,")
    assert signature_verify(**{**kwargs, "header": rolled}, now=VECTOR_TIMESTAMP) is True
    assert signature_verify(**{**kwargs, "header": "t=1700000000"}, now=VECTOR_TIMESTAMP) is False


def test_secret_shape():
    first, second = secret_generate(), secret_generate()
    assert first.startswith("whsec_")
    assert len(first) == len("whsec_") + 32
    assert first[6:].isalnum()
    assert first != second
