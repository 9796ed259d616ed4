from tests.dashboard.conftest import staff_client  # noqa: F401
