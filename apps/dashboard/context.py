"""Values Unfold shows on every dashboard page."""


def site_subheader(request) -> str:
    account = getattr(request, "account", None)
    return account.name if account is not None else ""


def environment_label(request) -> list[str] | None:
    """Header badge: which account and whether it is test data."""
    account = getattr(request, "account", None)
    if account is None:
        return None
    if account.is_sandbox:
        return [f"Sandbox: {account.name}", "warning"]
    if not account.livemode:
        return ["Test data", "info"]
    return ["Live", "success"]
