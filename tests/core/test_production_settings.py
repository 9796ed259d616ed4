"""The production settings pass Django's deployment checks and still answer health probes.

Each test runs ``manage.py`` or a short script in a child process with the environment a
production deploy sets, since the settings module is chosen once per process.
"""

import json
import os
import subprocess
import sys

import pytest

from config.env import BASE_DIR

SCRIPT = """
import json
import django
from django.test import Client

django.setup()
client = Client()
print(json.dumps({
    "healthz": client.get("/healthz").status_code,
    "api": [client.get("/v1/customers").status_code, client.get("/v1/customers")["Location"]],
    "api_https": client.get("/v1/customers", headers={"X-Forwarded-Proto": "https"}).status_code,
    "hsts": client.get("/v1/customers", headers={"X-Forwarded-Proto": "https"}).get(
        "Strict-Transport-Security"
    ),
}))
"""


def _production_env(tmp_path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SECURE_", "DATABASE_URL", "REDIS_URL", "PUBLIC_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="p" * 20 + "-production-secret-key-of-fifty-and-more-characters",
        ALLOWED_HOSTS="billing.example.com,testserver",
        DATABASE_URL=f"sqlite:///{tmp_path / 'production.sqlite3'}",
        BROKER_DIR=str(tmp_path / "broker"),
        **{"PUBLIC_URL": "https://billing.example.com", **extra},
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_nothing(tmp_path):
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], _production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
    assert "Warning" not in result.stderr


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({}, set()),
        ({"SECURE_SSL_REDIRECT": "0"}, {"security.W008"}),
        ({"SECURE_HSTS_SECONDS": "0"}, {"security.W004"}),
    ],
)
def test_hsts_and_ssl_redirect_turn_off_through_the_environment(tmp_path, extra, expected):
    result = _run(["manage.py", "check", "--deploy"], _production_env(tmp_path, **extra))
    reported = {
        word.strip("():") for word in result.stderr.split() if word.startswith("(security.")
    }
    assert reported == expected, result.stderr


def test_http_redirects_to_https_except_the_health_check(tmp_path):
    result = _run(["-c", SCRIPT], _production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "healthz": 200,
        "api": [301, "https://testserver/v1/customers"],
        "api_https": 401,
        "hsts": "max-age=31536000; includeSubDomains; preload",
    }


def test_check_deploy_asks_for_the_public_url(tmp_path):
    result = _run(["manage.py", "check", "--deploy"], _production_env(tmp_path, PUBLIC_URL=""))
    assert "?: (core.W001) PUBLIC_URL is not set." in result.stderr, result.stderr
    assert "http://127.0.0.1:8000" in result.stderr
