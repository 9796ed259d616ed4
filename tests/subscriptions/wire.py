"""Objects made over /v1, as a client would, for the API tests of subscriptions and invoices."""


def prices_and_customer(api):
    """Basic (25.00 USD a month) and Pro (27.00 USD a month), and a customer with a card."""
    price = api.post(
        "/v1/prices",
        {
            "product_data": {"name": "Basic"},
            "currency": "usd",
            "unit_amount": 2500,
            "recurring": {"interval": "month"},
        },
    ).json()
    pro = api.post(
        "/v1/prices",
        {
            "product_data": {"name": "Pro"},
            "currency": "usd",
            "unit_amount": 2700,
            "recurring": {"interval": "month"},
        },
    ).json()
    customer = api.post("/v1/customers", {"email": "a@example.com", "source": "tok_visa"}).json()
    return price, pro, customer
