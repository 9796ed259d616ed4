"""django-unfold settings for the staff dashboard."""

UNFOLD = {
    "SITE_TITLE": "Ledgerline",
    "SITE_HEADER": "Ledgerline",
}
