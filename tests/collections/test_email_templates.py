"""The restricted renderer and the checks of an account's wording (a pure core)."""

import pytest

from apps.collections.email_templates import (
    BUILT_IN,
    KIND_PLACEHOLDERS,
    body_errors,
    render_html,
    render_subject,
    render_text,
    subject_errors,
    template_errors,
)


@pytest.mark.parametrize("kind", list(BUILT_IN))
def test_the_built_in_wording_passes_its_own_checks(kind):
    assert subject_errors(kind, BUILT_IN[kind].subject) == []
    assert body_errors(kind, BUILT_IN[kind].body) == []


def test_placeholders_are_substituted_and_nothing_else_is_evaluated():
    context = {"customer_name": "{{ account_name }}", "account_name": "Acme", "amount": "9.00 USD"}

    text = render_text("{{customer_name}} owes {{  amount }} to {{ account_name }}", context)

    # A value is never scanned again, so a customer named like a placeholder stays as typed.
    assert text == "{{ account_name }} owes 9.00 USD to Acme"
    # Anything but a bare name is left as written (saving such a wording is refused anyway).
    assert render_text("{{ customer.email }} {{ x|upper }} {% now %}", context) == (
        "{{ customer.email }} {{ x|upper }} {% now %}"
    )
    assert render_text("{{ card_last4 }}", {"card_last4": "4242"}) == "4242"
    assert render_text("{{ renewal_date }}", context) == ""


def test_the_subject_is_one_line_whatever_the_values():
    assert render_subject("Hi {{ customer_name }}", {"customer_name": "Pat\r\nBcc: x@y"}) == (
        "Hi Pat Bcc: x@y"
    )


def test_html_escapes_text_and_values_and_links_the_urls():
    html = render_html(
        "Dear <{{ customer_name }}>,\n\nPay here:\n{{ hosted_invoice_url }}\n\n{{ amount }}",
        {
            "customer_name": "<script>alert(1)</script>",
            "hosted_invoice_url": 'https://x.test/i/a"b/',
            "amount": "1 & 2",
        },
    )

    assert html == (
        "<p>Dear &lt;&lt;script&gt;alert(1)&lt;/script&gt;&gt;,</p>\n"
        '<p>Pay here:<br><a href="https://x.test/i/a&quot;b/">https://x.test/i/a&quot;b/</a></p>\n'
        "<p>1 &amp; 2</p>"
    )


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("{{ customer }}", "Unknown placeholder {{ customer }} in this email; available: "),
        ("{{ Customer_Name }}", "is not a placeholder"),
        ("{{ customer_name.upper }}", "is not a placeholder"),
        ("{{ amount|floatformat }}", "is not a placeholder"),
        ("{{ }}", "is not a placeholder"),
        ("{% if amount %}x{% endif %}", "Template tags"),
        ("{# note #}", "Template comments"),
        ("{{ amount", "Unbalanced braces"),
        ("amount }}", "Unbalanced braces"),
    ],
)
def test_malformed_or_unknown_placeholders_are_errors(text, error):
    errors = template_errors("receipt", text)
    assert len(errors) == 1
    assert errors[0].startswith(error) or error in errors[0]


def test_each_kind_allows_only_its_placeholders():
    assert "next_retry_date" in KIND_PLACEHOLDERS["payment_failed"]
    assert template_errors("payment_failed", "{{ next_retry_date }}") == []
    assert template_errors("card_expiring", "{{ amount }}") == [
        "Unknown placeholder {{ amount }} in this email; available: customer_name, "
        "account_name, update_payment_method_url, card_brand, card_last4, card_expiry."
    ]


def test_subject_and_body_limits():
    assert subject_errors("receipt", " ")[0] == "The subject cannot be empty."
    assert subject_errors("receipt", "a\nb")[0] == "The subject must be a single line."
    assert subject_errors("receipt", "a" * 201)[0] == "The subject is limited to 200 characters."
    assert body_errors("receipt", "")[0] == "The body cannot be empty."
    assert body_errors("receipt", "a" * 20_001)[0] == "The body is limited to 20,000 characters."
