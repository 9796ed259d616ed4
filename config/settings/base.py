"""Settings shared by every environment; differences come from environment variables."""

from datetime import timedelta
from pathlib import Path

from config.env import BASE_DIR, VAR_DIR, env

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="ledgerline-insecure-development-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
# Where customers reach this installation (hosted invoice pages, PDFs and email links start with
# it). Empty: the origin of the request being answered (apps.core.public_url); outside a request
# (a worker started without runstack, which sets it) PUBLIC_URL_FALLBACK, runstack's default.
PUBLIC_URL = env("PUBLIC_URL", default="").rstrip("/")
PUBLIC_URL_FALLBACK = "http://127.0.0.1:8000"
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
TIME_ZONE = "UTC"
USE_TZ = True
LANGUAGE_CODE = "en-us"
USE_I18N = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# DATABASES
# https://docs.djangoproject.com/en/5.2/ref/databases/#sqlite-notes
# ------------------------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'ledgerline.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL lets readers run beside the writer, IMMEDIATE
    # takes the write lock at BEGIN so two writers queue instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# A read replica of the primary for reports (apps.core.db): empty means reports read default.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"].get("CONN_MAX_AGE", 0)
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # Tests see one database: the replica alias reads what default wrote.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["apps.core.db.ReplicaRouter"]

# APPS
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "unfold.apps.BasicAppConfig",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "apps.dashboard.apps.DashboardAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "drf_spectacular",
    "django_celery_beat",
    "apps.core",
    "apps.accounts",
    "apps.customers",
    "apps.catalog",
    "apps.payments",
    "apps.subscriptions",
    "apps.invoices",
    "apps.collections",
    "apps.webhooks",
    "apps.extensions",
    "apps.dashboard.apps.DashboardConfig",
]

MIDDLEWARE = [
    "apps.core.middleware.RequestIdMiddleware",
    "apps.core.middleware.PublicOriginMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "apps.dashboard.middleware.DashboardAccountMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# AUTH
# ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "dashboard:login"
LOGIN_REDIRECT_URL = "admin:index"
# Failed dashboard logins allowed per user name (and per address) inside the window.
LOGIN_THROTTLE_ATTEMPTS = env.int("LOGIN_THROTTLE_ATTEMPTS", default=5)
LOGIN_THROTTLE_WINDOW = timedelta(minutes=15)
SESSION_COOKIE_HTTPONLY = True

# STATIC
# ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(VAR_DIR / "media"))

# EMAIL
# ------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="billing@ledgerline.local")
# For the SMTP backend; a timeout so a silent mail server cannot hold a worker.
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# LOGGING
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # fontTools (fpdf2 subsets the invoice PDF's fonts with it) logs each table it subsets.
    "loggers": {"fontTools": {"level": "WARNING"}},
}

# REST FRAMEWORK (the Stripe wire format lives in apps.core.api)
# ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["apps.accounts.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["apps.accounts.api.permissions.KeyHasAccess"],
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.api.parsers.StripeFormParser",
        "apps.core.api.parsers.StripeJSONParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["apps.core.api.renderers.StripeJSONRenderer"],
    "EXCEPTION_HANDLER": "apps.core.api.exceptions.stripe_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "apps.core.api.schema.StripeAutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Ledgerline API",
    "DESCRIPTION": "Stripe-compatible billing and payments API.",
    "VERSION": "2026-10-28",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.api.schema.stripe_schema_postprocess",
    ],
    # One name per choice set used by several components (else spectacular makes up hashes).
    "ENUM_NAME_OVERRIDES": {
        "ListObjectEnum": ["list"],
        "SearchResultObjectEnum": ["search_result"],
        "WebhookEndpointObjectEnum": ["webhook_endpoint"],
        "PaymentMethodTypeEnum": "apps.customers.enums.PaymentMethodType",
    },
}
# Version reported when a request sends no Stripe-Version header.
LEDGERLINE_API_VERSION = "2026-10-28.endive"
IDEMPOTENCY_KEY_TTL = timedelta(hours=24)
# A request still "in progress" after this long is treated as abandoned (its process died).
# Keep it above the web server's request timeout (gunicorn --timeout 60 in the README), so a
# slow first request is killed before a duplicate may take its key over.
IDEMPOTENCY_LOCK_TIMEOUT = timedelta(seconds=120)
# How long a concurrent duplicate waits for the first request before answering 409.
IDEMPOTENCY_WAIT_SECONDS = env.float("IDEMPOTENCY_WAIT_SECONDS", default=5.0)
# The largest API request body, form or JSON; a larger one is refused with 413 before parsing.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
# Request log rows are written in batches off the request path (apps/core/request_log.py).
API_REQUEST_LOG_BATCH_SIZE = env.int("API_REQUEST_LOG_BATCH_SIZE", default=100)
API_REQUEST_LOG_FLUSH_SECONDS = env.float("API_REQUEST_LOG_FLUSH_SECONDS", default=1.0)
# How long an API process may reuse a key lookup (apps/accounts/selectors.py): a revoked or
# expired key stops working in every process within this many seconds. 0 turns it off.
API_KEY_CACHE_SECONDS = env.float("API_KEY_CACHE_SECONDS", default=5.0)

# CELERY
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
# ------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
# The filesystem broker's folder (embedded default only); producer and workers must share it.
BROKER_DIR = Path(env("BROKER_DIR", default=str(VAR_DIR / "broker")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # Embedded default: kombu's filesystem transport, so worker and beat are real processes
    # without a server. Both folders must be the same for producer and consumer.
    for sub in ("out", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    # The transport ignores the host, but kombu warns "No hostname was supplied" on every
    # connection without one.
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "out"),
        "data_folder_out": str(BROKER_DIR / "out"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        # Broadcast/pidbox exchanges; kombu's default is ./control in the working directory.
        "control_folder": str(BROKER_DIR / "control"),
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "webhooks.*": {"queue": "webhooks"},
    "invoicing.*": {"queue": "invoicing"},
    "collections.*": {"queue": "collections"},
    "workflows.*": {"queue": "workflows"},
    "metering.*": {"queue": "metering"},
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The collector in worker processes (config.celery.worker_gc_tune, once a worker has booted):
# what the boot loaded is frozen out of every later collection, and generation 0 is collected
# after this many allocations instead of Python's 700, so a task batch's short-lived ORM
# objects are not rescanned many times over. 0 leaves Python's own collector settings.
WORKER_GC_GEN0_THRESHOLD = env.int("WORKER_GC_GEN0_THRESHOLD", default=50_000)

# DASHBOARD (django-unfold)
# https://unfoldadmin.com/docs/configuration/settings/
# ------------------------------------------------------------------------------
from apps.dashboard.unfold_config import UNFOLD  # noqa: E402, F401
