"""Which values each Stripe tax id type takes (pure): a pattern per type, and the check digits
where the issuer documents a simple rule (the Australian ABN's modulus 89, the Spanish CIF's
control character). Values are compared without spaces and in capitals."""

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class TaxIdFormat:
    country: str
    pattern: str
    example: str
    checksum: Callable[[str], bool] | None = None


# EU VAT numbers by their prefix (the VIES formats); Greece writes EL, Northern Ireland XI.
EU_VAT = {
    "AT": r"U[0-9]{8}",
    "BE": r"[01][0-9]{9}",
    "BG": r"[0-9]{9,10}",
    "CY": r"[0-9]{8}[A-Z]",
    "CZ": r"[0-9]{8,10}",
    "DE": r"[0-9]{9}",
    "DK": r"[0-9]{8}",
    "EE": r"[0-9]{9}",
    "EL": r"[0-9]{9}",
    "ES": r"[0-9A-Z][0-9]{7}[0-9A-Z]",
    "FI": r"[0-9]{8}",
    "FR": r"[0-9A-Z]{2}[0-9]{9}",
    "HR": r"[0-9]{11}",
    "HU": r"[0-9]{8}",
    "IE": r"[0-9]{7}[A-W][A-I]?|[0-9][A-Z+*][0-9]{5}[A-W]",
    "IT": r"[0-9]{11}",
    "LT": r"[0-9]{9}|[0-9]{12}",
    "LU": r"[0-9]{8}",
    "LV": r"[0-9]{11}",
    "MT": r"[0-9]{8}",
    "NL": r"[0-9]{9}B[0-9]{2}",
    "PL": r"[0-9]{10}",
    "PT": r"[0-9]{9}",
    "RO": r"[0-9]{2,10}",
    "SE": r"[0-9]{12}",
    "SI": r"[0-9]{8}",
    "SK": r"[0-9]{10}",
    "XI": r"[0-9]{9}|[0-9]{12}|GD[0-9]{3}|HA[0-9]{3}",
}
_ABN_WEIGHTS = (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)


def abn_valid(value: str) -> bool:
    """The ATO's rule: subtract 1 from the first digit, weight the digits, and the sum is a
    multiple of 89."""
    digits = [int(d) for d in value]
    digits[0] -= 1
    return sum(d * w for d, w in zip(digits, _ABN_WEIGHTS, strict=True)) % 89 == 0


# CIF organisation letters whose control is a letter, and those whose control is a digit; the
# others may use either.
_CIF_LETTER_CONTROL = frozenset("KPQRSNW")
_CIF_DIGIT_CONTROL = frozenset("ABEH")


def cif_valid(value: str) -> bool:
    """The Spanish CIF's control: the digits in odd places are doubled (their digits summed),
    added to those in even places; the control is (10 − sum mod 10) mod 10, or that position of
    JABCDEFGHI."""
    letter, body, control = value[0], value[1:8], value[8]
    total = 0
    for index, char in enumerate(body):
        digit = int(char)
        if index % 2 == 0:
            doubled = digit * 2
            total += doubled // 10 + doubled % 10
        else:
            total += digit
    check = (10 - total % 10) % 10
    as_letter = "JABCDEFGHI"[check]
    if letter in _CIF_LETTER_CONTROL:
        return control == as_letter
    if letter in _CIF_DIGIT_CONTROL:
        return control == str(check)
    return control in (str(check), as_letter)


FORMATS: dict[str, TaxIdFormat] = {
    "eu_vat": TaxIdFormat("", "|".join(f"{c}(?:{p})" for c, p in EU_VAT.items()), "DE123456789"),
    "gb_vat": TaxIdFormat("GB", r"GB(?:[0-9]{9}|[0-9]{12}|GD[0-9]{3}|HA[0-9]{3})", "GB123456789"),
    "au_abn": TaxIdFormat("AU", r"[0-9]{11}", "51824753556", abn_valid),
    "au_arn": TaxIdFormat("AU", r"[0-9]{12}", "123456789123"),
    "es_cif": TaxIdFormat("ES", r"[ABCDEFGHJKLMNPQRSUVW][0-9]{7}[0-9A-J]", "B12345674", cif_valid),
    "us_ein": TaxIdFormat("US", r"[0-9]{2}-?[0-9]{7}", "12-3456789"),
    "ca_bn": TaxIdFormat("CA", r"[0-9]{9}", "123456789"),
    "ca_gst_hst": TaxIdFormat("CA", r"[0-9]{9}RT[0-9]{4}", "123456789RT0002"),
    "ca_qst": TaxIdFormat("CA", r"[0-9]{10}TQ[0-9]{4}", "1234567890TQ1234"),
    "ch_vat": TaxIdFormat(
        "CH", r"CHE-?[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}(?:MWST|TVA|IVA)?", "CHE-123.456.789 MWST"
    ),
    "ch_uid": TaxIdFormat("CH", r"CHE-?[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}", "CHE-123.456.789"),
    "no_vat": TaxIdFormat("NO", r"[0-9]{9}(?:MVA)?", "123456789MVA"),
    "in_gst": TaxIdFormat(
        "IN", r"[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][0-9A-Z]Z[0-9A-Z]", "12ABCDE3456FGZH"
    ),
    "jp_cn": TaxIdFormat("JP", r"[0-9]{13}", "1234567891234"),
    "nz_gst": TaxIdFormat("NZ", r"[0-9]{8,9}", "123456789"),
    "sg_uen": TaxIdFormat(
        "SG", r"[0-9]{8,9}[A-Z]|[TSR][0-9]{2}[A-Z]{2}[0-9]{4}[A-Z]", "123456789F"
    ),
    "za_vat": TaxIdFormat("ZA", r"4[0-9]{9}", "4123456789"),
    "br_cnpj": TaxIdFormat(
        "BR", r"[0-9]{2}\.?[0-9]{3}\.?[0-9]{3}/?[0-9]{4}-?[0-9]{2}", "01.234.456/5432-10"
    ),
    "br_cpf": TaxIdFormat("BR", r"[0-9]{3}\.?[0-9]{3}\.?[0-9]{3}-?[0-9]{2}", "123.456.789-87"),
    "mx_rfc": TaxIdFormat("MX", r"[A-Z&Ñ]{3,4}[0-9]{6}[A-Z0-9]{3}", "ABC010203AB9"),
    "kr_brn": TaxIdFormat("KR", r"[0-9]{3}-?[0-9]{2}-?[0-9]{5}", "123-45-67890"),
    "hk_br": TaxIdFormat("HK", r"[0-9]{8}", "12345678"),
    "ae_trn": TaxIdFormat("AE", r"[0-9]{15}", "123456789012345"),
    "th_vat": TaxIdFormat("TH", r"[0-9]{13}", "1234567891234"),
    "tw_vat": TaxIdFormat("TW", r"[0-9]{8}", "12345678"),
    "il_vat": TaxIdFormat("IL", r"[0-9]{9}", "000012345"),
    "is_vat": TaxIdFormat("IS", r"[0-9]{6}", "123456"),
    "eu_oss_vat": TaxIdFormat("", r"EU[0-9]{9}", "EU123456789"),
}
# Other Stripe types are taken with a loose check: letters, digits and - . / only.
_LOOSE = re.compile(r"[0-9A-Za-z.\-/ ]{2,40}")


class TaxIdInvalid(ValueError):
    def __init__(self, type: str, example: str | None) -> None:
        hint = f" Expected a value like {example}." if example else ""
        super().__init__(f"Invalid value for {type}.{hint}")


def tax_id_normalize(type: str, value: str) -> tuple[str, str]:
    """The value as kept (capitals for a known type) and the country it belongs to; raises
    ``TaxIdInvalid`` for a value the type does not take."""
    known = FORMATS.get(type)
    if known is None:
        value = value.strip()
        if not _LOOSE.fullmatch(value):
            raise TaxIdInvalid(type, None)
        return value, type[:2].upper()
    value = value.strip().upper()
    compact = value.replace(" ", "")
    if not re.fullmatch(known.pattern, compact) or (
        known.checksum is not None and not known.checksum(compact)
    ):
        raise TaxIdInvalid(type, known.example)
    country = known.country
    if type == "eu_vat":
        country = "GR" if compact.startswith("EL") else compact[:2]
    return value, country or type[:2].upper()
