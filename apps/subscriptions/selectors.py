"""Reads of subscriptions, always scoped to one account."""

from django.db.models import QuerySet

from apps.accounts.models import Account
from apps.core.search import TOKEN, Query, search_q
from apps.subscriptions.models import Subscription

# Stripe's subscription search fields (besides created and metadata).
SEARCH_FIELDS = {"status": TOKEN}


def subscription_search(*, account: Account, query: Query) -> QuerySet[Subscription]:
    return Subscription.objects.filter(account=account).filter(search_q(query))
