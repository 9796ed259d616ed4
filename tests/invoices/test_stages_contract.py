"""The billing stages' contract: every built-in of every stage returns an output valid against
the stage's schema, the same for the same input, without touching the database; then the exact
figures of each built-in, the runner's fallback, settings and choices (all pure)."""

import copy
import json
import pathlib
import re

import jsonschema
import pytest

from apps.invoices.engine.periods import utc
from apps.invoices.engine.stages import (
    DEFAULTS,
    STAGES,
    Choice,
    Choices,
    ConfigError,
    config_clean,
    implementation_get,
    implementations,
    registry,
    stage_run,
)


def epoch(*args) -> int:
    return int(utc(*args).timestamp())


def terms(
    price: str, amount: int, *, quantity: int = 1, rate=(1, 1), trial_end=None, usage="licensed"
):
    return {
        "price": price,
        "unit_amount": amount // quantity,
        "quantity": quantity,
        "period_amount": amount,
        "proration_rate": {"numerator": rate[0], "denominator": rate[1]},
        "usage_type": usage,
        "trial_end": trial_end,
    }


JANUARY = {"start": epoch(2025, 1, 1), "end": epoch(2025, 2, 1)}


def change(before, after, *, at=None, period=JANUARY) -> dict:
    return {
        "currency": "usd",
        "at": at or epoch(2025, 1, 16),
        "period": period,
        "items": [{"item": "si_1", "before": before, "after": after}],
    }


BASIC, PRO, MAX = terms("basic", 2500), terms("pro", 2700), terms("max", 4500)

SAMPLE_INPUTS = {
    "billing.prorations": change(BASIC, PRO),
    "billing.recurring_billing_item_handling": {
        "currency": "usd",
        "period": JANUARY,
        "items": [
            {
                "id": "si_1/subscription",
                "item": "si_1",
                "price": "basic",
                "kind": "subscription",
                "amount": 2500,
                "quantity": 1,
                "period": JANUARY,
            },
            {
                "id": "si_2/usage",
                "item": "si_2",
                "price": "meter",
                "kind": "usage",
                "amount": 0,
                "quantity": 1,
                "period": JANUARY,
            },
        ],
    },
    "billing.compute_bill": {
        "currency": "usd",
        "lines": [
            {
                "id": "il_1",
                "amount": 2500,
                "proration": False,
                "discount_amounts": [{"discount": "di_1", "amount": 250}],
                "tax_rates": [],
            },
            {
                "id": "il_2",
                "amount": -1290,
                "proration": True,
                "discount_amounts": [],
                "tax_rates": [],
            },
        ],
        "discounts": [
            {"id": "di_1", "coupon": "ten", "percent_off": "10", "amount_off": None},
        ],
        "tax_rates": [],
        "customer_balance": 0,
    },
    "billing.customer_balance_application": {
        "currency": "usd",
        "total": 2000,
        "customer_balance": -500,
    },
    "payments.collection": {
        "currency": "usd",
        "total": 12000,
        "amount_due": 12000,
        "collection_method": "charge_automatically",
        "days_until_due": None,
        "account": {
            "retry_plan": {"mode": "smart", "attempts": 8, "window_days": 14, "delays_days": []},
        },
    },
}
SAMPLE_CONFIG = {
    ("billing.prorations", "minimum_threshold"): {"minimum": 500},
    ("billing.prorations", "custom_interval"): {"unit": "week"},
    ("billing.customer_balance_application", "keep_reserve"): {"reserve": 200},
    ("billing.customer_balance_application", "minimum_before_collection"): {"minimum": 5000},
    ("payments.collection", "send_invoice_above"): {"amount": 10000, "days_until_due": 15},
}
EVERY_BUILT_IN = [
    (stage_id, implementation.key)
    for stage_id in STAGES
    for implementation in implementations(stage_id)
]


def run(stage_id: str, key: str, request: dict, config: dict | None = None):
    implementation = implementation_get(stage_id, key)
    choice = Choice(stage_id, key, implementation.version, config or {})
    return stage_run(stage_id, choice, request)


@pytest.mark.parametrize(("stage_id", "key"), EVERY_BUILT_IN)
def test_every_built_in_keeps_the_stage_contract(stage_id, key, db, django_assert_num_queries):
    stage = STAGES[stage_id]
    request = SAMPLE_INPUTS[stage_id]
    config = SAMPLE_CONFIG.get((stage_id, key), {})
    implementation = implementation_get(stage_id, key)
    cleaned = config_clean(implementation, config)
    untouched = copy.deepcopy(request)
    with django_assert_num_queries(0):
        first = run(stage_id, key, request, config)
        second = run(stage_id, key, copy.deepcopy(request), config)
        direct = implementation.run({**request, "default": first.output}, cleaned)
    assert (first.fallback, first.error, first.key, first.version) == (False, "", key, 1)
    jsonschema.validate(first.output, stage.output_schema, cls=jsonschema.Draft202012Validator)
    assert stage.check is None or stage.check({**request, "default": first.output}, direct) == ""
    assert first == second
    assert request == untouched  # the input is not changed by the run


def test_the_stages_are_the_interface_s_in_pipeline_order():
    assert list(STAGES) == [
        "billing.prorations",
        "billing.recurring_billing_item_handling",
        "billing.compute_bill",
        "billing.customer_balance_application",
        "payments.collection",
    ]
    assert {stage_id: [i.key for i in implementations(stage_id)] for stage_id in STAGES} == {
        "billing.prorations": ["by_second", "custom_interval", "none", "minimum_threshold"],
        "billing.recurring_billing_item_handling": ["create_all", "skip_zero_amount"],
        "billing.compute_bill": ["standard"],
        "billing.customer_balance_application": [
            "apply_all",
            "keep_reserve",
            "minimum_before_collection",
        ],
        "payments.collection": ["account_default", "send_invoice_above"],
    }
    for stage in STAGES.values():
        jsonschema.Draft202012Validator.check_schema(stage.input_schema)
        jsonschema.Draft202012Validator.check_schema(stage.output_schema)
        assert stage.input_schema["properties"]["default"] == stage.output_schema


def amounts(result) -> list[int]:
    return [line["amount"] for line in result.output["lines"]]


def test_by_second_is_b1_s_default_figures():
    result = run("billing.prorations", "by_second", change(BASIC, PRO))
    assert result.output["lines"] == [
        {
            "item": "si_1",
            "kind": "proration_credit",
            "price": "basic",
            "amount": -1290,
            "quantity": 1,
            "period": {"start": epoch(2025, 1, 16), "end": epoch(2025, 2, 1)},
        },
        {
            "item": "si_1",
            "kind": "proration_debit",
            "price": "pro",
            "amount": 1394,
            "quantity": 1,
            "period": {"start": epoch(2025, 1, 16), "end": epoch(2025, 2, 1)},
        },
    ]


def test_by_second_leaves_out_metered_and_trialing_terms_and_applies_the_rate():
    trialing = terms("pro", 2700, trial_end=epoch(2025, 1, 20))
    assert amounts(run("billing.prorations", "by_second", change(BASIC, trialing))) == [-1290]
    metered = terms("meter", 0, usage="metered")
    assert amounts(run("billing.prorations", "by_second", change(metered, PRO))) == [1394]
    # Half the period left, three quarters of the price (25% off): 2700 × 1/2 × 3/4 = 1012.5.
    half = change(None, terms("pro", 2700, rate=(3, 4)), at=epoch(2025, 1, 16, 12))
    assert amounts(run("billing.prorations", "by_second", half)) == [1013]


def test_custom_interval_counts_whole_units_to_the_nearest():
    # 15 days 12 hours left of 31 days: 16 days by the day (a half rounds up), 15.5 by the second.
    at = epoch(2025, 1, 16, 12)
    assert amounts(run("billing.prorations", "by_second", change(BASIC, PRO, at=at))) == [
        -1250,
        1350,
    ]
    by_day = run(
        "billing.prorations", "custom_interval", change(BASIC, PRO, at=at), {"unit": "day"}
    )
    assert amounts(by_day) == [-1290, 1394]  # 2500 × 16/31, 2700 × 16/31
    at = epoch(2025, 1, 16, 11)  # 15 days 13 hours: 16 days
    day = run("billing.prorations", "custom_interval", change(BASIC, PRO, at=at), {"unit": "day"})
    assert amounts(day) == [-1290, 1394]
    at = epoch(2025, 1, 17, 13)  # 14 days 11 hours: 14 days
    day = run("billing.prorations", "custom_interval", change(BASIC, PRO, at=at), {"unit": "day"})
    assert amounts(day) == [-1129, 1219]  # 2500 × 14/31 = 1129.03, 2700 × 14/31 = 1219.35
    # Weeks: 31 days are 4 weeks (4.43), 16 days 2 weeks (2.29): f = 2/4.
    week = run("billing.prorations", "custom_interval", change(BASIC, PRO), {"unit": "week"})
    assert amounts(week) == [-1250, 1350]
    # Months of a yearly period: changed on Apr 20, 8 months 11 days are left (of 30): 8 of 12.
    year = {"start": epoch(2025, 1, 1), "end": epoch(2026, 1, 1)}
    yearly = change(terms("basic", 24000), terms("pro", 36000), at=epoch(2025, 4, 20), period=year)
    month = run("billing.prorations", "custom_interval", yearly, {"unit": "month"})
    assert amounts(month) == [-16000, 24000]
    yearly = change(terms("basic", 24000), terms("pro", 36000), at=epoch(2025, 4, 10), period=year)
    month = run("billing.prorations", "custom_interval", yearly, {"unit": "month"})
    assert amounts(month) == [-18000, 27000]  # 8 months 21 days: 9 of 12


def test_custom_interval_never_bills_more_than_the_period():
    # A 1-week period counted in months is 1 unit at least, and the rest at most all of it.
    week = {"start": epoch(2025, 1, 1), "end": epoch(2025, 1, 8)}
    request = change(BASIC, PRO, at=epoch(2025, 1, 2), period=week)
    month = run("billing.prorations", "custom_interval", request, {"unit": "month"})
    assert amounts(month) == [0, 0]


def test_none_makes_no_lines():
    assert run("billing.prorations", "none", change(BASIC, PRO)).output == {"lines": []}


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (BASIC, PRO, []),  # net +104 under 500: waived
        (PRO, BASIC, [-1394, 1290]),  # net −104: credits are always given
        (BASIC, MAX, [-1290, 2323]),  # net +1033: at or above, billed
    ],
)
def test_minimum_threshold_is_b1_s_figures(before, after, expected):
    result = run("billing.prorations", "minimum_threshold", change(before, after), {"minimum": 500})
    assert amounts(result) == expected


def test_minimum_threshold_bills_a_net_exactly_at_the_minimum():
    request = change(BASIC, PRO)
    assert amounts(run("billing.prorations", "minimum_threshold", request, {"minimum": 104})) == [
        -1290,
        1394,
    ]
    assert amounts(run("billing.prorations", "minimum_threshold", request, {"minimum": 105})) == []


def test_item_handling_built_ins():
    request = SAMPLE_INPUTS["billing.recurring_billing_item_handling"]
    assert run("billing.recurring_billing_item_handling", "create_all", request).output == {
        "items": [
            {"id": "si_1/subscription", "strategy": "create", "reason": ""},
            {"id": "si_2/usage", "strategy": "create", "reason": ""},
        ]
    }
    assert run("billing.recurring_billing_item_handling", "skip_zero_amount", request).output == {
        "items": [
            {"id": "si_1/subscription", "strategy": "create", "reason": ""},
            {"id": "si_2/usage", "strategy": "skip", "reason": "zero_amount"},
        ]
    }


def test_standard_totals():
    request = SAMPLE_INPUTS["billing.compute_bill"]
    assert run("billing.compute_bill", "standard", request).output == {
        "subtotal": 1210,
        "subtotal_excluding_tax": 1210,
        "total_discount_amounts": [{"discount": "di_1", "amount": 250}],
        "total_excluding_tax": 960,
        "tax": 0,
        "total_tax_amounts": [],
        "lines": [{"id": "il_1", "tax_amounts": []}, {"id": "il_2", "tax_amounts": []}],
        "total": 960,
    }


def balance(key: str, total: int, customer_balance: int, config: dict | None = None) -> dict:
    request = {"currency": "usd", "total": total, "customer_balance": customer_balance}
    return run("billing.customer_balance_application", key, request, config).output


def test_apply_all_is_today_s_settlement():
    assert balance("apply_all", 2000, -500) == {
        "balance_change": 500,
        "amount_due": 1500,
        "ending_balance": 0,
    }
    assert balance("apply_all", 300, -500)["amount_due"] == 0
    assert balance("apply_all", 2000, 300)["amount_due"] == 2300
    assert balance("apply_all", -700, 0) == {
        "balance_change": -700,
        "amount_due": 0,
        "ending_balance": -700,
    }
    assert balance("apply_all", 0, -500)["balance_change"] == 0


def test_keep_reserve_leaves_the_reserve_as_credit():
    assert balance("keep_reserve", 2000, -500, {"reserve": 200}) == {
        "balance_change": 300,
        "amount_due": 1700,
        "ending_balance": -200,
    }
    assert balance("keep_reserve", 2000, -150, {"reserve": 200})["amount_due"] == 2000
    assert balance("keep_reserve", 100, -500, {"reserve": 200})["ending_balance"] == -400
    assert balance("keep_reserve", 2000, 300, {"reserve": 200})["amount_due"] == 2300


def test_minimum_before_collection_defers_small_totals():
    assert balance("minimum_before_collection", 300, 0, {"minimum": 500}) == {
        "balance_change": 300,
        "amount_due": 0,
        "ending_balance": 300,
    }
    # The next period: 300 more plus the 300 deferred is 600, at or above 500: collected.
    assert balance("minimum_before_collection", 300, 300, {"minimum": 500})["amount_due"] == 600
    assert balance("minimum_before_collection", 200, 300, {"minimum": 500})["amount_due"] == 500
    assert balance("minimum_before_collection", -100, 0, {"minimum": 500})["amount_due"] == 0
    assert balance("minimum_before_collection", 300, -300, {"minimum": 500})["amount_due"] == 0


def test_collection_built_ins():
    request = SAMPLE_INPUTS["payments.collection"]
    plan = request["account"]["retry_plan"]
    assert run("payments.collection", "account_default", request).output == {
        "collection_method": "charge_automatically",
        "days_until_due": None,
        "retry_plan": plan,
    }
    config = {"amount": 10000, "days_until_due": 15}
    assert run("payments.collection", "send_invoice_above", request, config).output == {
        "collection_method": "send_invoice",
        "days_until_due": 15,
        "retry_plan": plan,
    }
    small = {**request, "total": 10000, "amount_due": 10000}  # not above the amount
    assert run("payments.collection", "send_invoice_above", small, config).output == {
        "collection_method": "charge_automatically",
        "days_until_due": None,
        "retry_plan": plan,
    }


def test_config_clean_types_fills_defaults_and_names_the_bad_field():
    threshold = implementation_get("billing.prorations", "minimum_threshold")
    assert config_clean(threshold, {}) == {"minimum": 0}
    assert config_clean(threshold, {"minimum": "500"}) == {"minimum": 500}
    for raw, message in [
        ({"minimum": -1}, "Must not be negative."),
        ({"minimum": 1.5}, "Must be a whole number."),
        ({"minimum": True}, "Must be a whole number."),
        ({"minimum": 100_000_000}, "Must be at most 99999999."),
        ({"maximum": 5}, "Unknown setting."),
    ]:
        with pytest.raises(ConfigError) as caught:
            config_clean(threshold, raw)
        assert (caught.value.field, caught.value.message) == (next(iter(raw)), message)
    interval = implementation_get("billing.prorations", "custom_interval")
    assert config_clean(interval, {"unit": "month"}) == {"unit": "month"}
    with pytest.raises(ConfigError, match="Must be one of: day, week, month."):
        config_clean(interval, {"unit": "year"})


def test_a_failing_choice_falls_back_to_the_default_output():
    request = change(BASIC, PRO)
    default = run("billing.prorations", "by_second", request).output
    for choice, error in [
        (Choice("billing.prorations", "missing", 1, {}), "KeyError: 'missing'"),
        (
            Choice("billing.prorations", "none", 7, {}),
            "LookupError: Version 7 of none is not available.",
        ),
        (
            Choice("billing.prorations", "minimum_threshold", 1, {"minimum": -5}),
            "ConfigError: minimum: Must not be negative.",
        ),
    ]:
        result = stage_run("billing.prorations", choice, request)
        assert (result.output, result.fallback, result.error) == (default, True, error)
        assert result.record() == {
            "implementation": choice.key,
            "version": choice.version,
            "fallback": True,
        }


def test_a_malformed_or_inconsistent_output_falls_back(monkeypatch):
    request = change(BASIC, PRO)
    default = run("billing.prorations", "by_second", request).output
    none = implementation_get("billing.prorations", "none")
    table = registry._IMPLEMENTATIONS["billing.prorations"]
    for output, error in [
        ({"lines": [{"item": "si_1"}]}, "Malformed output at lines/0"),
        (
            {
                "lines": [
                    {
                        "item": "si_9",
                        "kind": "proration_debit",
                        "price": "pro",
                        "amount": 1,
                        "quantity": 1,
                        "period": request["period"],
                    }
                ]
            },
            "Line for si_9 (proration_debit) matches no item of the change.",
        ),
    ]:
        monkeypatch.setitem(
            table, "none", none.__class__(**{**none.__dict__, "run": lambda r, c, o=output: o})
        )
        result = stage_run("billing.prorations", Choice("billing.prorations", "none", 1), request)
        assert (result.output, result.fallback) == (default, True)
        assert result.error.startswith(error)


def test_choices_of_prefers_a_price_override_where_the_stage_allows_one():
    threshold = Choice("billing.prorations", "minimum_threshold", 1, {"minimum": 500})
    none = Choice("billing.prorations", "none", 1, {})
    reserve = Choice("billing.customer_balance_application", "keep_reserve", 1, {"reserve": 1})
    choices = Choices(
        {"billing.prorations": threshold},
        {
            ("billing.prorations", "price_pro"): none,
            ("billing.customer_balance_application", "price_pro"): reserve,
        },
    )
    assert choices.of("billing.prorations") == threshold
    assert choices.of("billing.prorations", "price_pro") == none
    assert choices.of("billing.prorations", "price_basic") == threshold
    # compute_bill and the balance are chosen for the account only.
    assert choices.of("billing.customer_balance_application", "price_pro") == Choice(
        "billing.customer_balance_application", "apply_all", 1, {}
    )
    assert DEFAULTS.of("payments.collection") == Choice(
        "payments.collection", "account_default", 1, {}
    )


DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs" / "extensions.md"
SCHEMA_BLOCK = re.compile(r"<!-- schema: (\S+) (input|output) -->\n```json\n(.*?)\n```", re.S)


def test_the_docs_carry_every_stage_s_schemas_exactly_and_every_built_in():
    text = DOCS.read_text()
    documented = {
        (stage, which): json.loads(body) for stage, which, body in SCHEMA_BLOCK.findall(text)
    }
    assert documented == {
        (stage.id, which): schema
        for stage in STAGES.values()
        for which, schema in (("input", stage.input_schema), ("output", stage.output_schema))
    }
    for stage_id in STAGES:
        assert f"## `{stage_id}`" in text
        for implementation in implementations(stage_id):
            assert f"- **`{implementation.key}`** (version {implementation.version}," in text
            for field in implementation.config:
                assert f"`{field.name}` ({field.kind}" in text
