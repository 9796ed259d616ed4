"""Settings for the benchmarks: the normal settings plus the bench URLconf, no debug, quiet logs.

Selected by the bench drivers with ``DJANGO_SETTINGS_MODULE=bench.bench_settings``.
"""

from config.settings.base import *  # noqa: F403
from config.settings.base import LOGGING, env

DEBUG = False
ROOT_URLCONF = env("BENCH_ROOT_URLCONF", default="bench.bench_urls")
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "level": env("LOG_LEVEL", default="WARNING")}}
