"""The restricted-key permission grid in a real browser lists exactly the API's resources."""

import pytest
from django.urls import reverse

from apps.accounts.models import ApiKey
from apps.core.api.resources import RESOURCES
from tests.api.routes import v1_routes
from tests.conftest import make_account
from tests.dashboard.conftest import staff_login


@pytest.mark.browser
def test_the_grid_offers_only_resources_that_exist(live_server, browser_page, client):
    from playwright.sync_api import expect

    acme = make_account("Acme")
    staff_login(client, account=acme.account)
    page = browser_page
    page.context.add_cookies(
        [
            {"name": name, "value": morsel.value, "url": live_server.url}
            for name, morsel in client.cookies.items()
        ]
    )
    page.goto(live_server.url + reverse("dashboard:api-key-create"))
    rows = page.locator("table tbody tr")
    guarded = {route.view_class.resource for route in v1_routes()}
    expect(rows).to_have_count(len(guarded))
    shown = [text.strip() for text in rows.locator("td:first-child").all_inner_texts()]
    assert shown == [RESOURCES[resource] for resource in RESOURCES]
    assert set(RESOURCES) == guarded
    for gone in ("Disputes", "Files", "Meters and meter events"):
        expect(page.get_by_text(gone, exact=True)).to_have_count(0)

    page.check("input[name=kind][value=restricted]")
    page.fill("input[name=name]", "Setup")
    page.check("input[name=access_setup_intents][value=write]")
    page.get_by_role("button", name="Create key").click()
    expect(page.locator("[data-new-token]")).to_be_visible()
    assert ApiKey.objects.get(name="Setup").permissions == {"setup_intents": "write"}
