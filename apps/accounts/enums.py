from django.db import models


class AccountKind(models.TextChoices):
    STANDARD = "standard", "Standard"
    SANDBOX = "sandbox", "Sandbox"
    EXPRESS = "express", "Connected (Express)"
    CUSTOM = "custom", "Connected (Custom)"
    CONNECTED_STANDARD = "connected_standard", "Connected (Standard)"


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", "Administrator"
    DEVELOPER = "developer", "Developer"
    ANALYST = "analyst", "Analyst"
    SUPPORT_SPECIALIST = "support_specialist", "Support specialist"
    VIEW_ONLY = "view_only", "View only"


class ApiKeyKind(models.TextChoices):
    SECRET = "secret", "Secret"
    PUBLISHABLE = "publishable", "Publishable"
    RESTRICTED = "restricted", "Restricted"


class Access(models.TextChoices):
    NONE = "none", "None"
    READ = "read", "Read"
    WRITE = "write", "Write"


class ActorKind(models.TextChoices):
    USER = "user", "Team member"
    API_KEY = "api_key", "API key"
    SYSTEM = "system", "Ledgerline"


class SecurityEventType(models.TextChoices):
    LOGIN_SUCCEEDED = "login.succeeded", "Logged in"
    LOGIN_FAILED = "login.failed", "Failed login"
    LOGIN_THROTTLED = "login.throttled", "Login blocked by throttling"
    LOGIN_NEW_LOCATION = "login.new_location", "Login from a new location"
    LOGOUT = "logout", "Logged out"
    PASSWORD_CHANGED = "password.changed", "Password changed"
    TWO_FACTOR_ENABLED = "two_factor.enabled", "Two-factor authentication enabled"
    TWO_FACTOR_FAILED = "two_factor.failed", "Wrong two-factor code"
    API_KEY_CREATED = "api_key.created", "API key created"
    API_KEY_ROLLED = "api_key.rolled", "API key rolled"
    API_KEY_REVOKED = "api_key.revoked", "API key revoked"
    DATA_EXPORTED = "data.exported", "Data exported"
    MEMBER_INVITED = "member.invited", "Member invited"
    MEMBER_ROLE_CHANGED = "member.role_changed", "Member role changed"
    MEMBER_REMOVED = "member.removed", "Member removed"
