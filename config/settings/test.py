import atexit
import os
import shutil
import tempfile

# A broker folder of this test run (and of the workers it starts, which inherit the
# environment), so a `make run` worker on var/broker cannot take the tests' messages.
if "BROKER_DIR" not in os.environ:
    os.environ["BROKER_DIR"] = tempfile.mkdtemp(prefix="ledgerline-test-broker-")
    atexit.register(shutil.rmtree, os.environ["BROKER_DIR"], ignore_errors=True)

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
