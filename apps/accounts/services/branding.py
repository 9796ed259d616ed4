"""An account's invoice branding: the logo and the address its invoices carry."""

import hashlib
import io

from django.db import transaction
from PIL import Image, UnidentifiedImageError

from apps.accounts import roles
from apps.accounts.audit import audit_record
from apps.accounts.models import Account, AccountBranding
from apps.core.actor import Actor
from apps.core.errors import InvalidRequestError
from apps.core.locks import row_lock

LOGO_MAX_BYTES = 512 * 1024
# Pixels per side: a logo is printed about 4 cm wide, so larger images only weigh the PDF down.
LOGO_MAX_SIDE = 2000
ADDRESS_MAX_LINES = 6
ADDRESS_MAX_CHARS = 500
# Pillow's format names of the images a logo may be, and their content types.
LOGO_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}


def logo_content_type(data: bytes) -> str:
    """The content type of a logo, read from its bytes (never its file name), or an error
    that says what is wrong with it."""
    if len(data) > LOGO_MAX_BYTES:
        raise InvalidRequestError(
            f"The logo is {len(data) // 1024} KB; it can be at most {LOGO_MAX_BYTES // 1024} KB.",
            param="logo",
        )
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, size = image.format, image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise InvalidRequestError(
            "The logo must be a PNG or JPEG image; this file is not one.", param="logo"
        ) from error
    if kind not in LOGO_TYPES:
        raise InvalidRequestError(
            f"The logo must be a PNG or JPEG image; this file is a {kind} image.", param="logo"
        )
    if max(size) > LOGO_MAX_SIDE:
        raise InvalidRequestError(
            f"The logo is {size[0]}×{size[1]} pixels; each side can be at most "
            f"{LOGO_MAX_SIDE} pixels.",
            param="logo",
        )
    return LOGO_TYPES[kind]


def _address_clean(address: str) -> str:
    lines = [line.strip() for line in (address or "").strip().splitlines()]
    text = "\n".join(line for line in lines if line)
    if len(lines) > ADDRESS_MAX_LINES or len(text) > ADDRESS_MAX_CHARS:
        raise InvalidRequestError(
            f"The address can have at most {ADDRESS_MAX_LINES} lines and "
            f"{ADDRESS_MAX_CHARS} characters.",
            param="address",
        )
    return text


def _fingerprint(logo: bytes) -> str | None:
    # The audit trail names a logo by a digest, not by its bytes.
    return f"sha256:{hashlib.sha256(logo).hexdigest()[:16]}" if logo else None


def account_branding_update(
    *,
    account: Account,
    address: str,
    logo: bytes | None = None,
    logo_remove: bool = False,
    actor: Actor,
) -> AccountBranding:
    """Set the address; replace the logo when ``logo`` is given, drop it with ``logo_remove``."""
    roles.actor_require(actor, roles.SETTINGS)
    address = _address_clean(address)
    content_type = logo_content_type(logo) if logo is not None else None
    with transaction.atomic():
        AccountBranding.objects.get_or_create(account=account)
        branding = row_lock(AccountBranding.objects.filter(account=account))
        before = {"address": branding.address, "logo": _fingerprint(bytes(branding.logo))}
        branding.address = address
        if content_type:
            branding.logo, branding.logo_content_type = logo, content_type
        elif logo_remove:
            branding.logo, branding.logo_content_type = b"", ""
        branding.save()
        after = {"address": branding.address, "logo": _fingerprint(bytes(branding.logo))}
        changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if changes:
            audit_record(
                account=account,
                actor=actor,
                action="account.branding_updated",
                object_type="account",
                object_id=account.id,
                changes=changes,
            )
    return branding


def account_branding_copy(parent: Account, sandbox: Account) -> None:
    """A new sandbox's invoices look like its live account's (a sandbox copier, run inside
    sandbox_create's transaction)."""
    branding = AccountBranding.objects.filter(account=parent).first()
    if branding is not None:
        AccountBranding.objects.create(
            account=sandbox,
            address=branding.address,
            logo=bytes(branding.logo),
            logo_content_type=branding.logo_content_type,
        )
