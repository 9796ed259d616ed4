"""Stripe's published examples of objects Ledgerline renders (``tests/fixtures/stripe_examples``,
its README names the source and licence), and the check that an object has their shape."""

import json
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent / "fixtures" / "stripe_examples" / "stripe_examples.json"


def stripe_example(kind: str) -> dict:
    return json.loads(EXAMPLES.read_text())[kind]


def assert_stripe_shape(sdk_object, kind: str) -> None:
    """Every key of Stripe's example is in the JSON the server answered ``sdk_object`` with, of
    the example's JSON kind (null, which Stripe uses for an unused feature, goes with any
    kind)."""
    rendered = json.loads(sdk_object.last_response.body)
    example = stripe_example(kind)
    missing = sorted(set(example) - set(rendered))
    assert not missing, f"{kind} lacks {missing}"
    for key, value in example.items():
        if value is not None and rendered[key] is not None:
            assert type(rendered[key]) is type(value), (key, rendered[key], value)
