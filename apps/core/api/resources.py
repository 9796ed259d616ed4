"""Resource names a restricted key grants access to, one per group of endpoints: exactly the
``resource`` of the API's views (a test holds it so), so the dashboard's permission grid offers
nothing that does not exist."""

RESOURCES: dict[str, str] = {
    "customers": "Customers",
    "payment_methods": "Payment methods and sources",
    "tokens": "Tokens",
    "charges": "Charges and payment intents",
    "setup_intents": "Setup intents",
    "refunds": "Refunds",
    "balance": "Balance and balance transactions",
    "products": "Products, prices, plans and coupons",
    "subscriptions": "Subscriptions",
    "invoices": "Invoices, invoice items and credit notes",
    "test_clocks": "Test clocks",
    "events": "Events",
    "webhook_endpoints": "Webhook endpoints",
}
