"""The one place environment variables are read (django-environ)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
# Runtime state of the embedded default (SQLite file, filesystem broker, uploads) lives here.
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
