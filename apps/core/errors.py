"""Domain errors. The API turns them into Stripe error objects; the dashboard into form errors."""

from typing import Any


class ApplicationError(Exception):
    """A request that cannot be carried out, described in Stripe's error vocabulary."""

    http_status = 400
    type = "invalid_request_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        http_status: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param
        if http_status is not None:
            self.http_status = http_status
        self.extra = extra or {}


class InvalidRequestError(ApplicationError):
    pass


class ResourceMissingError(ApplicationError):
    http_status = 404

    def __init__(self, kind: str, object_id: str, *, param: str = "id") -> None:
        super().__init__(f"No such {kind}: '{object_id}'", code="resource_missing", param=param)


class PermissionDeniedError(ApplicationError):
    http_status = 403

    def __init__(self, message: str, *, code: str = "permission_denied") -> None:
        super().__init__(message, code=code)


class AuthenticationError(ApplicationError):
    http_status = 401


class IdempotencyError(ApplicationError):
    type = "idempotency_error"


class CardError(ApplicationError):
    http_status = 402
    type = "card_error"
