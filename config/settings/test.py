from config.settings.base import *  # noqa: F403
from config.settings.base import REDIS_URL, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Without a broker server the suite runs tasks inline; the broker tests start real workers.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
IDEMPOTENCY_WAIT_SECONDS = 5.0
# Request log rows and key lookups take effect at once, so tests can read them back.
API_REQUEST_LOG_BATCH_SIZE = 1
API_KEY_CACHE_SECONDS = 0.0
# Live-server request threads must not keep connections open past the test, or the test
# database cannot be dropped at the end of the run.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
