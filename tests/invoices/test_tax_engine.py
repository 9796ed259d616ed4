"""Taxes in ``billing.compute_bill``'s ``standard`` (pure): per line, after the line's discounts,
each tax rounded on its own by the one rounding rule, for inclusive and exclusive rates."""

import pytest

from apps.invoices.engine.stages import Choice, stage_run
from apps.invoices.engine.stages.bill import check, line_taxes, standard

VAT = {"id": "txr_vat", "percentage": "20", "inclusive": False}
DE_VAT = {"id": "txr_de", "percentage": "19", "inclusive": True}
SALES = {"id": "txr_sales", "percentage": "5", "inclusive": False}
GST = {"id": "txr_gst", "percentage": "10", "inclusive": True}
PST = {"id": "txr_pst", "percentage": "5", "inclusive": True}


def line(id: str, amount: int, rates, *, discount: int = 0, proration: bool = False) -> dict:
    return {
        "id": id,
        "amount": amount,
        "proration": proration,
        "discount_amounts": [{"discount": "di_1", "amount": discount}] if discount else [],
        "tax_rates": [rate["id"] for rate in rates],
    }


def bill(lines: list[dict], rates: list[dict]) -> dict:
    return standard(
        {
            "currency": "usd",
            "lines": lines,
            "discounts": [],
            "tax_rates": rates,
            "customer_balance": 0,
        },
        {},
    )


def tax(rate: dict, amount: int, taxable: int) -> dict:
    return {
        "tax_rate": rate["id"],
        "amount": amount,
        "inclusive": rate["inclusive"],
        "taxable_amount": taxable,
    }


def test_exclusive_rate_taxes_each_line_after_its_discount_and_adds_to_the_total():
    out = bill([line("l1", 2500, [VAT], discount=250), line("l2", -1290, [VAT])], [VAT])
    # 2250 × 20 % = 450; the credit −1290 × 20 % = −258.
    assert out["lines"] == [
        {"id": "l1", "tax_amounts": [tax(VAT, 450, 2250)]},
        {"id": "l2", "tax_amounts": [tax(VAT, -258, -1290)]},
    ]
    assert (out["subtotal"], out["subtotal_excluding_tax"]) == (1210, 1210)
    assert out["total_discount_amounts"] == [{"discount": "di_1", "amount": 250}]
    assert (out["tax"], out["total_excluding_tax"], out["total"]) == (192, 960, 1152)
    assert out["total_tax_amounts"] == [tax(VAT, 192, 960)]


def test_inclusive_rate_is_inside_the_amount_and_adds_nothing():
    out = bill([line("l1", 1000, [DE_VAT])], [DE_VAT])
    # 1000 − 1000 / 1.19 = 159.66 → 160, leaving 840 net of tax.
    assert out["lines"] == [{"id": "l1", "tax_amounts": [tax(DE_VAT, 160, 840)]}]
    assert (out["subtotal"], out["subtotal_excluding_tax"]) == (1000, 840)
    assert (out["tax"], out["total_excluding_tax"], out["total"]) == (160, 840, 1000)


def test_inclusive_rate_after_a_discount_taxes_what_is_paid():
    out = bill([line("l1", 1000, [DE_VAT], discount=100), line("l2", 500, [])], [DE_VAT])
    # 900 paid: 900 × 19 / 119 = 143.70 → 144 inside it. The untaxed line has no tax entry.
    assert out["lines"] == [
        {"id": "l1", "tax_amounts": [tax(DE_VAT, 144, 756)]},
        {"id": "l2", "tax_amounts": []},
    ]
    # The subtotal before discounts, without the tax its 1000 holds (160): 840 + 500.
    assert out["subtotal_excluding_tax"] == 1340
    assert (out["tax"], out["total_excluding_tax"], out["total"]) == (144, 1256, 1400)


def test_each_line_is_rounded_on_its_own_halves_away_from_zero():
    out = bill(
        [
            line("a", 10, [SALES]),
            line("b", 10, [SALES]),
            line("c", 10, [SALES]),
            line("d", -10, [SALES]),
        ],
        [SALES],
    )
    # Each 0.5 rounds to 1 (and −0.5 to −1): 1 + 1 + 1 − 1 = 2, where 5 % of the 20 net is 1.
    assert [entry["tax_amounts"][0]["amount"] for entry in out["lines"]] == [1, 1, 1, -1]
    assert (out["tax"], out["total"]) == (2, 22)
    assert out["total_tax_amounts"] == [tax(SALES, 2, 20)]


def test_inclusive_and_exclusive_rates_on_one_line():
    out = bill([line("l1", 1100, [GST, SALES])], [GST, SALES])
    # 1100 holds 100 of GST (10/110); the exclusive 5 % is on the 1000 left: 50.
    assert out["lines"][0]["tax_amounts"] == [tax(GST, 100, 1000), tax(SALES, 50, 1000)]
    assert (out["tax"], out["total_excluding_tax"], out["total"]) == (150, 1000, 1150)


def test_two_inclusive_rates_share_the_amount():
    out = bill([line("l1", 1150, [GST, PST])], [GST, PST])
    assert out["lines"][0]["tax_amounts"] == [tax(GST, 100, 1000), tax(PST, 50, 1000)]
    assert (out["tax"], out["total"], out["total_excluding_tax"]) == (150, 1150, 1000)


@pytest.mark.parametrize(
    ("net", "rates", "amounts"),
    [
        (999, [DE_VAT], [160]),  # 159.50 → 160
        (-999, [DE_VAT], [-160]),
        (1, [VAT], [0]),  # 0.2 → 0
        (0, [VAT, DE_VAT], [0, 0]),
    ],
)
def test_line_taxes_round_one_way(net, rates, amounts):
    assert [entry["amount"] for entry in line_taxes(net, rates)] == amounts


def test_the_stage_refuses_a_customization_that_taxes_a_line_with_a_rate_it_does_not_name():
    request = {
        "currency": "usd",
        "lines": [line("l1", 1000, [VAT]), line("l2", 1000, [])],
        "discounts": [],
        "tax_rates": [VAT],
        "customer_balance": 0,
    }
    good = standard(request, {})
    assert check(request, good) == ""
    bad = {**good, "lines": [good["lines"][0], {"id": "l2", "tax_amounts": [tax(VAT, 200, 1000)]}]}
    assert check(request, bad) == "Line l2 is taxed by a rate it does not name."
    lost = {**good, "lines": good["lines"][:1]}
    assert check(request, lost) == "The output lists other lines than the input."
    # Run through the stage with an unknown implementation: the default's totals are used.
    result = stage_run("billing.compute_bill", Choice("billing.compute_bill", "nope", 1), request)
    assert (result.fallback, result.output) == (True, good)
