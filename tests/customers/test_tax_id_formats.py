"""Tax id values per type (pure): each type's pattern, and the check digits of the Australian
ABN (modulus 89) and the Spanish CIF (control character)."""

import pytest

from apps.customers.tax_id_formats import (
    FORMATS,
    TaxIdInvalid,
    abn_valid,
    cif_valid,
    tax_id_normalize,
)


@pytest.mark.parametrize(
    ("type", "value", "kept", "country"),
    [
        ("eu_vat", "DE123456789", "DE123456789", "DE"),
        ("eu_vat", "de 123 456 789", "DE 123 456 789", "DE"),
        ("eu_vat", "FR12345678901", "FR12345678901", "FR"),
        ("eu_vat", "NL123456789B01", "NL123456789B01", "NL"),
        ("eu_vat", "ATU12345678", "ATU12345678", "AT"),
        ("eu_vat", "EL123456789", "EL123456789", "GR"),
        ("gb_vat", "GB123456789", "GB123456789", "GB"),
        ("au_abn", "51 824 753 556", "51 824 753 556", "AU"),
        ("es_cif", "B12345674", "B12345674", "ES"),
        ("es_cif", "P1234567D", "P1234567D", "ES"),
        ("es_cif", "g1234567d", "G1234567D", "ES"),  # G may use either control
        ("us_ein", "12-3456789", "12-3456789", "US"),
        ("ch_vat", "CHE-123.456.789 MWST", "CHE-123.456.789 MWST", "CH"),
        ("no_vat", "123456789MVA", "123456789MVA", "NO"),
        ("xx_other", "ab-12/3", "ab-12/3", "XX"),
    ],
)
def test_a_value_the_type_takes_is_kept(type, value, kept, country):
    assert tax_id_normalize(type, value) == (kept, country)


@pytest.mark.parametrize(
    ("type", "value"),
    [
        ("eu_vat", "DE12345678"),  # Germany has nine digits
        ("eu_vat", "US123456789"),  # not an EU prefix
        ("eu_vat", "ATA12345678"),  # Austria's start with U
        ("gb_vat", "123456789"),  # the GB prefix is part of it
        ("au_abn", "51824753557"),  # the ATO's own example with its last digit changed
        ("au_abn", "12345678912"),  # eleven digits, but not a multiple of 89
        ("au_abn", "5182475355"),
        ("es_cif", "B12345678"),  # control should be 4
        ("es_cif", "P12345674"),  # a P company's control is a letter (D)
        ("es_cif", "A1234567D"),  # an A company's control is a digit (4)
        ("es_cif", "I12345674"),  # I is not an organisation letter
        ("us_ein", "12"),
        ("xx_other", "a"),
        ("xx_other", "<script>"),
    ],
)
def test_a_value_the_type_does_not_take_is_refused(type, value):
    with pytest.raises(TaxIdInvalid) as refused:
        tax_id_normalize(type, value)
    example = FORMATS[type].example if type in FORMATS else None
    assert str(refused.value) == (
        f"Invalid value for {type}. Expected a value like {example}."
        if example
        else f"Invalid value for {type}."
    )


def test_every_example_is_valid_for_its_type():
    for type, known in FORMATS.items():
        tax_id_normalize(type, known.example)


def test_check_digits():
    # The ATO's example ABN: (4×10 + 1×1 + 8×3 + 2×5 + 4×7 + 7×9 + 5×11 + 3×13 + 5×15 + 5×17
    # + 6×19) = 534 = 6 × 89.
    assert abn_valid("51824753556")
    assert not abn_valid("51824753565")
    # B1234567: odd places 1,3,5,7 doubled → 2+6+(1+0)+(1+4) = 14, even places 2+4+6 = 12;
    # (10 − 26 mod 10) mod 10 = 4, the letter D.
    assert cif_valid("B12345674")
    assert not cif_valid("B1234567D")
    assert cif_valid("N1234567D")
    assert not cif_valid("N12345674")
