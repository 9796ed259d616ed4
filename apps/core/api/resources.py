"""Resource names a restricted key grants access to, one per group of endpoints."""

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
    "disputes": "Disputes",
    "files": "Files",
    "connect": "Connected accounts, transfers and payouts",
    "billing_meters": "Meters and meter events",
    "entitlements": "Features and entitlements",
    "events": "Events",
    "webhook_endpoints": "Webhook endpoints",
}
