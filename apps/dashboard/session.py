"""Keys of what the dashboard keeps in a staff member's session."""

# The account chosen with the switcher (apps.dashboard.middleware resolves it on each request).
SESSION_ACCOUNT_KEY = "ledgerline_account_id"
# Set once the sign-in's second step (a TOTP code) is done; the site admits no one without it.
SESSION_TWO_FACTOR_KEY = "ledgerline_2fa_verified"
