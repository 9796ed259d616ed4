"""What every app's dashboard pages share: the account-scoped ModelAdmin base, the status badge
colours and the form helper for a service's refusal.

It lives here, not in apps.dashboard, because each app's admin uses it and apps.dashboard is the
top app that may import them all; the admin base needs the current account and its role, so
accounts is the lowest app it can live in.
"""
