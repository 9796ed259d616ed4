"""An account's invoice branding: a logo checked by its content, an address, each change
audited, refused to members whose role does not allow settings."""

import io

import pytest
from PIL import Image

from apps.accounts.enums import ActorKind, Role
from apps.accounts.models import AccountBranding, AuditLogEntry
from apps.accounts.selectors import account_branding
from apps.accounts.services import account_branding_update, sandbox_create
from apps.accounts.services.branding import LOGO_MAX_BYTES, LOGO_MAX_SIDE
from apps.core.actor import SYSTEM, Actor
from apps.core.errors import InvalidRequestError, PermissionDeniedError


def image(kind: str, size=(120, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (79, 70, 229)).save(buffer, kind)
    return buffer.getvalue()


def _member(role: str) -> Actor:
    return Actor(kind=ActorKind.USER, label="someone@example.com", user_id=None, role=role)


def _trail(account) -> list[tuple[str, dict]]:
    entries = AuditLogEntry.objects.filter(account=account, action="account.branding_updated")
    return [(entry.object_id, entry.changes) for entry in entries.order_by("id")]


def test_a_png_or_jpeg_logo_and_an_address_are_kept_and_audited(acme):
    png = image("PNG")
    branding = account_branding_update(
        account=acme.account, address="  Musterstraße 1\n\n10115 Berlin ", logo=png, actor=SYSTEM
    )
    assert (branding.address, bytes(branding.logo), branding.logo_content_type) == (
        "Musterstraße 1\n10115 Berlin",
        png,
        "image/png",
    )
    jpeg = image("JPEG")
    account_branding_update(account=acme.account, address=branding.address, logo=jpeg, actor=SYSTEM)
    stored = account_branding(account=acme.account)
    assert (bytes(stored.logo), stored.logo_content_type) == (jpeg, "image/jpeg")
    # Saving the same again changes nothing and records nothing.
    account_branding_update(account=acme.account, address=stored.address, actor=SYSTEM)
    trail = _trail(acme.account)
    assert [sorted(changes) for _, changes in trail] == [["address", "logo"], ["logo"]]
    assert trail[0][1]["address"] == ["", "Musterstraße 1\n10115 Berlin"]
    assert trail[0][1]["logo"][0] is None
    assert trail[0][1]["logo"][1].startswith("sha256:")

    account_branding_update(account=acme.account, address="", logo_remove=True, actor=SYSTEM)
    stored = account_branding(account=acme.account)
    assert (stored.address, bytes(stored.logo), stored.logo_content_type) == ("", b"", "")


@pytest.mark.parametrize(
    ("logo", "message"),
    [
        (b"GIF89a" + b"\0" * 40, "must be a PNG or JPEG image; this file is not one"),
        (image("GIF"), "must be a PNG or JPEG image; this file is a GIF image"),
        (b"%PDF-1.4 not an image", "must be a PNG or JPEG image; this file is not one"),
        (image("PNG")[:40], "must be a PNG or JPEG image; this file is not one"),
        (image("PNG", (LOGO_MAX_SIDE + 1, 10)), f"each side can be at most {LOGO_MAX_SIDE}"),
        (b"\x89PNG" + b"\0" * LOGO_MAX_BYTES, f"at most {LOGO_MAX_BYTES // 1024} KB"),
    ],
)
def test_a_logo_is_checked_by_its_content(acme, logo, message):
    with pytest.raises(InvalidRequestError) as refused:
        account_branding_update(account=acme.account, address="Berlin", logo=logo, actor=SYSTEM)
    assert message in refused.value.message
    assert refused.value.param == "logo"
    assert not AccountBranding.objects.filter(account=acme.account).exists()
    assert _trail(acme.account) == []


def test_an_address_longer_than_an_envelope_is_refused(acme):
    with pytest.raises(InvalidRequestError) as refused:
        account_branding_update(
            account=acme.account, address="\n".join("line" for _ in range(7)), actor=SYSTEM
        )
    assert refused.value.param == "address"
    assert not AccountBranding.objects.filter(account=acme.account).exists()


def test_only_members_who_may_change_settings_brand_invoices(acme):
    with pytest.raises(PermissionDeniedError):
        account_branding_update(
            account=acme.account, address="Berlin", logo=image("PNG"), actor=_member(Role.ANALYST)
        )
    assert not AccountBranding.objects.filter(account=acme.account).exists()
    account_branding_update(
        account=acme.account, address="Berlin", actor=_member(Role.ADMINISTRATOR)
    )
    assert account_branding(account=acme.account).address == "Berlin"


def test_a_sandbox_starts_with_its_accounts_branding(acme, globex):
    png = image("PNG")
    account_branding_update(account=acme.account, address="Berlin", logo=png, actor=SYSTEM)
    sandbox, _ = sandbox_create(parent=acme.account, name="Staging", actor=SYSTEM)
    copied = account_branding(account=sandbox)
    assert (copied.address, bytes(copied.logo), copied.logo_content_type) == (
        "Berlin",
        png,
        "image/png",
    )
    # Copied once: the sandbox's branding is its own from then on.
    account_branding_update(account=sandbox, address="Staging", actor=SYSTEM)
    assert account_branding(account=acme.account).address == "Berlin"
    bare, _ = sandbox_create(parent=globex.account, name="Bare", actor=SYSTEM)
    assert not AccountBranding.objects.filter(account=bare).exists()
