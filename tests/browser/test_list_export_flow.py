"""Export a filtered list in Chromium: search the customers list, click "Export CSV", and get
the rows the list shows, not the others."""

import csv
import io

import pytest
from django.urls import reverse

from tests.browser.conftest import staff_sign_in
from tests.conftest import make_account
from tests.dashboard.conftest import staff_user_with_device
from tests.factories import CustomerFactory


@pytest.mark.browser
def test_export_the_searched_customers_list(live_server, browser_page):
    from playwright.sync_api import expect

    acme = make_account("Acme")
    grace = CustomerFactory(account=acme.account, email="grace@example.com", name="Grace Hopper")
    CustomerFactory(account=acme.account, email="ada@example.com", name="Ada Lovelace")
    user = staff_user_with_device(account=acme.account, email="ops@example.com")
    page = browser_page
    staff_sign_in(page, live_server, user)

    page.goto(live_server.url + reverse("admin:customers_customer_changelist") + "?q=Grace")
    expect(page.get_by_text("grace@example.com")).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_test_id("export-csv").click()
    download = download_info.value
    assert download.suggested_filename.startswith("customers-")
    with open(download.path(), encoding="utf-8") as file:
        rows = list(csv.DictReader(io.StringIO(file.read())))
    assert [(r["id"], r["Email"], r["Name"]) for r in rows] == [
        (grace.id, "grace@example.com", "Grace Hopper")
    ]
