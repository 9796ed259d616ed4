"""Money: integer minor units with a currency on the same row; one rounding rule.

Amounts are ``int`` counts of the currency's minor unit (cents for usd, yen for jpy, fils for
kwd). ``Decimal`` appears only for quantities finer than a minor unit (``unit_amount_decimal``,
FX rates, proration fractions) and is turned back into an int by ``round_minor`` alone.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

# The currencies Stripe charges in (its presentment currencies), by ISO 4217 code. Test and
# non-currency codes (XXX, XTS, precious metals) are not among them.
CURRENCIES = frozenset(
    """
    aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd bwp byn
    bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp gel ghs gip
    gmd gnf gtq gyd hkd hnl htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf krw kwd kyd kzt
    lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn nad ngn nio nok npr
    nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr sek sgd shp sle sos srd
    std szl thb tjs tnd top try ttd twd tzs uah ugx usd uyu uzs vnd vuv wst xaf xcd xcg xof xpf
    yer zar zmw
    """.split()
)
# Stripe's zero-decimal currencies (amounts are whole units). Where Stripe's exponent differs
# from ISO 4217, Stripe's is kept: MGA and UGX are zero-decimal here, ISK (zero in ISO) is
# written with two decimals, and HUF and TWD keep their two.
ZERO_DECIMAL = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)
# Three-decimal currencies (amounts are thousandths).
THREE_DECIMAL = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})
# Stripe's largest amount: eight digits of a two-decimal currency (999,999.99); three-decimal
# currencies get the one more digit that makes the same major amount.
# The currency a customer in each country is billed in when a price offers it (adaptive
# pricing): the official currency of the country, for the countries whose currency Ledgerline
# bills in. ISO 3166-1 alpha-2 → lowercase ISO 4217.
_EURO_AREA = "AT BE HR CY EE FI FR DE GR IE IT LV LT LU MT NL PT SK SI ES"
LOCAL_CURRENCIES: dict[str, str] = {
    **dict.fromkeys(_EURO_AREA.split(), "eur"),
    "US": "usd", "GB": "gbp", "JP": "jpy", "CA": "cad", "AU": "aud", "NZ": "nzd",
    "CH": "chf", "SE": "sek", "NO": "nok", "DK": "dkk", "PL": "pln", "CZ": "czk",
    "HU": "huf", "RO": "ron", "BG": "bgn", "IN": "inr", "SG": "sgd", "HK": "hkd",
    "MX": "mxn", "BR": "brl", "KW": "kwd", "AE": "aed", "ZA": "zar", "KR": "krw",
}  # fmt: skip

MAX_AMOUNT = 99_999_999


class MoneyError(ValueError):
    pass


def _code(currency: str) -> str:
    code = (currency or "").strip().lower()
    if len(code) != 3 or not (code.isascii() and code.isalpha()):
        raise MoneyError(f"Invalid currency: {currency!r}")
    return code


def currency_normalize(currency: str) -> str:
    """The lower-case code of a currency Stripe charges in, or ``MoneyError``."""
    code = _code(currency)
    if code not in CURRENCIES:
        raise MoneyError(f"Invalid currency: {currency!r}")
    return code


def exponent(currency: str) -> int:
    """Digits after the decimal point of the currency's major unit (of any three-letter code,
    so rows written before a code was refused still display)."""
    code = _code(currency)
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def amount_max(currency: str | None) -> int:
    """The largest amount Stripe takes in ``currency`` (in a two-decimal one without it)."""
    return MAX_AMOUNT * 10 ** max(exponent(currency) - 2, 0) if currency else MAX_AMOUNT


def round_minor(value: Decimal | Fraction | int) -> int:
    """The one rounding rule: to the nearest minor unit, halves away from zero. Exact values
    only: a Decimal, or a Fraction (proration shares are exact ratios of seconds)."""
    if isinstance(value, bool):
        raise MoneyError("A boolean is not an amount.")
    if isinstance(value, int):
        return value
    if isinstance(value, Fraction):
        magnitude = abs(value)
        whole = int(magnitude)
        if magnitude - whole >= Fraction(1, 2):
            whole += 1
        return whole if value >= 0 else -whole
    if not isinstance(value, Decimal):
        raise MoneyError(f"Amounts are int or Decimal, never {type(value).__name__}.")
    # ROUND_HALF_UP in the decimal module rounds halves away from zero, for negatives too.
    return int(value.to_integral_value(rounding=ROUND_HALF_UP))


def to_decimal(value: str | int | Decimal) -> Decimal:
    """Parse a decimal string as given in the API (``unit_amount_decimal=12.5``)."""
    if isinstance(value, float):
        raise MoneyError("Floats are not accepted for money.")
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise MoneyError(f"Invalid decimal: {value!r}") from exc
    if not number.is_finite():
        raise MoneyError(f"Invalid decimal: {value!r}")
    return number


# How staff read amounts: the currency's own symbol where English writes one that names the
# currency unambiguously (CLDR's "en" symbols), else its code ("KWD 1.250").
SYMBOLS = {
    "usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "inr": "₹", "krw": "₩", "ils": "₪",
    "ngn": "₦", "php": "₱", "vnd": "₫", "cad": "CA$", "aud": "A$", "nzd": "NZ$",
    "hkd": "HK$", "mxn": "MX$", "brl": "R$", "cny": "CN¥", "twd": "NT$",
}  # fmt: skip


def format_amount(amount: int | Decimal, currency: str) -> str:
    """The one way an amount is shown: "$25.00", "¥1,250", "KWD 1.250", "-€3.50", "$0.00".

    ``amount`` is in minor units: an int, or a Decimal finer than a minor unit (a price's
    ``unit_amount_decimal``: 1.25 USD cents is "$0.0125"). Exact, never a float."""
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        raise MoneyError(f"Amounts are int or Decimal, never {type(amount).__name__}.")
    code = _code(currency)
    digits = exponent(code)
    value = Decimal(amount).scaleb(-digits)
    sign = "-" if value < 0 else ""
    whole, _, fraction = f"{abs(value):,f}".partition(".")
    # At least the currency's decimals, more only when the amount has them.
    fraction = fraction.rstrip("0").ljust(digits, "0")
    number = f"{whole}.{fraction}" if fraction else whole
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{code.upper()} {number}"


def percent_text(value: Decimal | int | str) -> str:
    """A percentage as staff read it: "20 %", "12.5 %" (never "2E+1 %")."""
    number = to_decimal(value).normalize()
    return f"{number:f} %"


def major_text(amount: int, currency: str) -> str:
    """Minor units as plain major-unit digits, as amount fields take them and charts plot them:
    1250 USD → "12.50", 1250 JPY → "1250", -5 KWD → "-0.005" (exact, never a float)."""
    return f"{Decimal(int(amount)).scaleb(-exponent(currency)):f}"


# Digits with an optional point: what people type (no exponent, no sign after a symbol).
_TYPED_AMOUNT = re.compile(r"\d+(\.\d*)?|\.\d+")


def input_example(currency: str) -> str:
    """What an amount field of ``currency`` takes, for its help text: "25.00", "1250", "1.250"."""
    return major_text({0: 1250, 2: 2500, 3: 1250}[exponent(currency)], currency)


def _typed_minor(text: str, code: str) -> Decimal:
    """Minor units, exactly, of an amount typed in major units (see ``parse_major``)."""
    raw = "".join((text or "").split()).replace(",", "")
    negative = raw.startswith("-")
    body = raw[1:] if negative else raw
    for prefix in filter(None, (SYMBOLS.get(code), code.upper(), code)):
        if body.startswith(prefix):
            body = body[len(prefix) :]
            break
    if not raw:
        raise MoneyError("Enter an amount.")
    if not _TYPED_AMOUNT.fullmatch(body):
        raise MoneyError(
            f"Enter the amount in {code.upper()} as a number, e.g. {input_example(code)}."
        )
    return Decimal(f"-{body}" if negative else body).scaleb(exponent(code))


def parse_major(text: str, currency: str) -> int:
    """Minor units from an amount a person typed in major units ("12.50" USD → 1250, "1,000"
    JPY → 1000, "$12.50" → 1250), parsed as a Decimal, never a float.

    More digits after the point than the currency has is an error, never a rounding; the
    errors are written for the person who typed it."""
    code = _code(currency)
    minor = _typed_minor(text, code)
    if minor != minor.to_integral_value():
        if exponent(code) == 0:
            raise MoneyError(f"{code.upper()} amounts are whole numbers (no decimals).")
        raise MoneyError(
            f"{code.upper()} amounts have at most {exponent(code)} digits after the point."
        )
    return int(minor)


def parse_major_fraction(text: str, currency: str) -> str:
    """A unit price typed in major units, finer than a minor unit allowed ("0.0125" USD), as
    the decimal text of minor units a price's ``unit_amount_decimal`` takes ("1.25")."""
    minor = _typed_minor(text, _code(currency))
    return f"{minor.normalize():f}"


# Stripe's minimum charge amounts in minor units (docs.stripe.com/currencies, "Minimum and
# maximum charge amounts"). Stripe states them for the settlement currency; Ledgerline applies
# them to the currency charged.
MINIMUM_CHARGE = {
    "aed": 200,
    "aud": 50,
    "bgn": 100,
    "brl": 50,
    "cad": 50,
    "chf": 50,
    "czk": 1500,
    "dkk": 250,
    "eur": 50,
    "gbp": 30,
    "hkd": 400,
    "huf": 17500,
    "inr": 50,
    "jpy": 50,
    "mxn": 1000,
    "myr": 200,
    "nok": 300,
    "nzd": 50,
    "pln": 200,
    "ron": 200,
    "sek": 300,
    "sgd": 50,
    "thb": 1000,
    "usd": 50,
}


def minimum_charge_amount(currency: str) -> int:
    """The least amount that can be charged: Stripe's table, else half a major unit of a
    two-decimal currency at the currency's exponent (50 for zero-decimal, 500 for three)."""
    code = currency_normalize(currency)
    if code in MINIMUM_CHARGE:
        return MINIMUM_CHARGE[code]
    return 50 * 10 ** max(exponent(code) - 2, 0)


def chargeable_round(amount: int, currency: str) -> int:
    """The amount as it can be charged: a three-decimal currency's only in multiples of 10 (Stripe:
    "the last digit must be 0"), to the nearest 10 by ``round_minor``; others are unchanged."""
    if exponent(currency) != 3:
        return amount
    return round_minor(Decimal(amount) / 10) * 10
