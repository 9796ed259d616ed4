"""Amounts and times reach staff through one formatter each (apps.core.money.format_amount,
apps.core.dates): no dashboard module or staff template turns cents or dates into text itself."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import CouponFactory

ROOT = Path(__file__).resolve().parents[2]
APPS = ROOT / "apps"
TEMPLATES = ROOT / "templates"

# Pages customers see (emails, the hosted invoice, the payment-method page) are not staff's.
CUSTOMER_TEMPLATES = ("invoices/email/", "collections/email/", "invoices/hosted", "invoices/pdf")
CUSTOMER_TEMPLATES += ("collections/update_payment_method",)

MONEY_BY_HAND = re.compile(
    r"scaleb\(|\bexponent\(|amount\w*\s*/\s*100\b|:\.2f\}|\.normalize\(\)|float\("
)
DATES_BY_HAND = re.compile(r"strftime\(|\|date:")


def _dashboard_modules() -> list[Path]:
    names = re.compile(r"^(admin\w*|forms|views\w*)\.py$")
    return sorted(
        path
        for path in APPS.rglob("*.py")
        if "migrations" not in path.parts
        and (
            names.match(path.name)
            or "templatetags" in path.parts
            or "dashboard" in path.relative_to(APPS).parts
        )
        # The dashboard app's JSON viewer shows numbers as the API sent them.
        and path.name != "dashboard_json.py"
    )


def _staff_templates() -> list[Path]:
    return sorted(
        path
        for path in TEMPLATES.rglob("*.html")
        if not str(path.relative_to(TEMPLATES)).startswith(CUSTOMER_TEMPLATES)
    )


def _offenders(paths: list[Path], pattern: re.Pattern) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in paths
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]


def test_the_scan_sees_the_dashboard_modules_and_templates():
    modules = {str(path.relative_to(APPS)) for path in _dashboard_modules()}
    assert {"dashboard/views/home.py", "invoices/admin.py", "catalog/forms.py"} <= modules
    assert "core/money.py" not in modules
    templates = {str(path.relative_to(TEMPLATES)) for path in _staff_templates()}
    assert "invoices/invoice_detail.html" in templates
    assert "invoices/email/invoice_sent.html" not in templates


def test_no_dashboard_module_formats_amounts_itself():
    assert _offenders(_dashboard_modules(), MONEY_BY_HAND) == []


def test_no_staff_template_formats_amounts_or_dates_itself():
    templates = _staff_templates()
    assert _offenders(templates, re.compile(r"floatformat|divisibleby")) == []
    assert _offenders(templates, DATES_BY_HAND) == []


def test_no_dashboard_module_formats_dates_itself():
    assert _offenders(_dashboard_modules(), DATES_BY_HAND) == []


@pytest.mark.django_db
def test_coupon_terms_read_as_staff_say_them(staff_client, acme):
    CouponFactory(account=acme.account, id="TWENTY", percent_off="20")
    CouponFactory(account=acme.account, id="HALFPLUS", percent_off="12.5")
    CouponFactory(account=acme.account, id="YEN", percent_off=None, amount_off=1250, currency="jpy")
    html = staff_client.get(reverse("admin:catalog_coupon_changelist")).content.decode()
    assert ">20 % off<" in html
    assert ">12.5 % off<" in html
    assert ">¥1,250 off<" in html
    assert "E+" not in html
