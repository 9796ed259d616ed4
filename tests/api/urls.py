"""The real URLconf with the test-only endpoints of ``tests.api.endpoints`` under /v1/test/."""

from config.urls import urlpatterns as real_urlpatterns
from tests.api.endpoints import urlpatterns_prefix

urlpatterns = [*urlpatterns_prefix, *real_urlpatterns]
