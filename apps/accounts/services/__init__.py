from apps.accounts.services.accounts import (
    account_create,
    account_settings_update,
    sandbox_create,
    sandbox_delete,
)
from apps.accounts.services.branding import account_branding_update
from apps.accounts.services.keys import (
    api_key_create,
    api_key_revoke,
    api_key_roll,
)
from apps.accounts.services.team import (
    invitation_accept,
    invitation_create,
    invitation_revoke,
    membership_remove,
    membership_role_update,
    staff_user_create,
)
from apps.accounts.services.two_factor import (
    two_factor_confirm,
    two_factor_enroll,
    two_factor_verify,
)

__all__ = [
    "account_branding_update",
    "account_create",
    "account_settings_update",
    "api_key_create",
    "api_key_revoke",
    "api_key_roll",
    "invitation_accept",
    "invitation_create",
    "invitation_revoke",
    "membership_remove",
    "membership_role_update",
    "sandbox_create",
    "sandbox_delete",
    "staff_user_create",
    "two_factor_confirm",
    "two_factor_enroll",
    "two_factor_verify",
]
