"""The dashboard's one date format (apps.core.dates), also for Django's own displays: admin
list columns and ``|date`` without an explicit format."""

DATETIME_FORMAT = "j M Y, H:i"
DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
SHORT_DATE_FORMAT = DATE_FORMAT
