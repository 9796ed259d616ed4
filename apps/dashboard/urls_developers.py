"""Developers pages beyond the plain admin lists (key creation and roll, JSON views)."""

urlpatterns: list = []
