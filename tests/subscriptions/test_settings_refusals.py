"""The refusals of a subscription's settings update (``POST /v1/subscriptions/:id``), each with
its exact message and param, and nothing changed; then the settings cleared as they were set."""

from apps.core.models import Event
from apps.subscriptions.models import Subscription
from tests.subscriptions.wire import prices_and_customer

FUTURE = 4102444800  # 2100-01-01
PAST = 946684800  # 2000-01-01


def _subscription(api) -> dict:
    price, _, customer = prices_and_customer(api)
    return api.post(
        "/v1/subscriptions", {"customer": customer["id"], "items": [{"price": price["id"]}]}
    ).json()


def _row(subscription_id: str) -> tuple:
    row = Subscription.objects.get(id=subscription_id)
    return (
        row.cancel_at,
        row.cancel_at_period_end,
        row.pause_collection,
        row.collection_method,
        row.days_until_due,
        row.default_payment_method_id,
        row.trial_settings,
        row.metadata,
    )


def test_settings_refusals_change_nothing(api):
    subscription = _subscription(api)
    url = f"/v1/subscriptions/{subscription['id']}"
    before, events = _row(subscription["id"]), Event.objects.count()
    refusals = [
        ({"cancel_at": PAST}, "cancel_at must be in the future.", "cancel_at"),
        (
            {"cancel_at": FUTURE, "cancellation_details": {"feedback": "bored"}},
            "cancellation_details[feedback] is one of customer_service, low_quality, "
            "missing_features, other, switched_service, too_complex, too_expensive, unused.",
            "cancellation_details[feedback]",
        ),
        (
            {"cancel_at_period_end": "true", "cancellation_details": {"feedback": "bored"}},
            "cancellation_details[feedback] is one of customer_service, low_quality, "
            "missing_features, other, switched_service, too_complex, too_expensive, unused.",
            "cancellation_details[feedback]",
        ),
        ({"pause_collection": "x"}, "Invalid hash: pause_collection", "pause_collection"),
        (
            {"pause_collection": {"behavior": "void", "resumes_at": PAST}},
            "resumes_at must be in the future.",
            "pause_collection[resumes_at]",
        ),
        (
            {"collection_method": "send_invoice"},
            "send_invoice subscriptions need days_until_due.",
            "days_until_due",
        ),
        (
            {"default_payment_method": "pm_missing"},
            f"pm_missing is not a payment method of {subscription['customer']}.",
            "default_payment_method",
        ),
        (
            {"trial_settings": {"end_behavior": {"missing_payment_method": "wait"}}},
            "trial_settings[end_behavior][missing_payment_method] is one of create_invoice, "
            "cancel, pause.",
            "trial_settings[end_behavior][missing_payment_method]",
        ),
    ]
    for params, message, param in refusals:
        error = api.post(url, params).json()["error"]
        assert (error["message"], error["param"]) == (message, param), params
    assert (_row(subscription["id"]), Event.objects.count()) == (before, events)


def test_settings_set_then_cleared(api):
    subscription = _subscription(api)
    url = f"/v1/subscriptions/{subscription['id']}"
    set_ = api.post(
        url,
        {
            "cancel_at": FUTURE,
            "cancellation_details": {"comment": "Moving", "feedback": "unused"},
            "pause_collection": {"behavior": "keep_as_draft", "resumes_at": FUTURE},
            "collection_method": "send_invoice",
            "days_until_due": 14,
            "metadata": {"team": "ops"},
        },
    ).json()
    assert (set_["cancel_at"], set_["cancellation_details"]) == (
        FUTURE,
        {"comment": "Moving", "feedback": "unused", "reason": "cancellation_requested"},
    )
    assert set_["pause_collection"] == {"behavior": "keep_as_draft", "resumes_at": FUTURE}
    assert (set_["collection_method"], set_["days_until_due"], set_["metadata"]) == (
        "send_invoice",
        14,
        {"team": "ops"},
    )
    cleared = api.post(
        url,
        {
            "cancel_at": "",
            "pause_collection": "",
            "collection_method": "charge_automatically",
            "days_until_due": "",
            "metadata": {"team": ""},
        },
    ).json()
    assert (cleared["cancel_at"], cleared["cancellation_details"]) == (None, None)
    assert (cleared["pause_collection"], cleared["collection_method"]) == (
        None,
        "charge_automatically",
    )
    assert (cleared["days_until_due"], cleared["metadata"]) == (None, {})


def test_cancel_now_takes_its_reason_or_refuses_an_unknown_feedback(api):
    subscription = _subscription(api)
    url = f"/v1/subscriptions/{subscription['id']}"
    refused = api.delete(url, QUERY_STRING="cancellation_details[feedback]=bored").json()
    assert (refused["error"]["message"], refused["error"]["param"]) == (
        "cancellation_details[feedback] is one of customer_service, low_quality, "
        "missing_features, other, switched_service, too_complex, too_expensive, unused.",
        "cancellation_details[feedback]",
    )
    assert Subscription.objects.get(id=subscription["id"]).status == "active"
    canceled = api.delete(
        url,
        QUERY_STRING="cancellation_details[feedback]=unused&cancellation_details[comment]=Moving",
    ).json()
    assert canceled["status"] == "canceled"
    assert (
        canceled["cancellation_details"]["comment"],
        canceled["cancellation_details"]["feedback"],
    ) == ("Moving", "unused")
