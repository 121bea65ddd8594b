"""Production refuses unsafe settings; each case runs in its own process."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
GOOD_KEY = secrets.token_urlsafe(64)[:60]

# Variables that would leak the test process's configuration into the child.
_INHERITED_PREFIXES = ("DJANGO_", "DATABASE_", "REDIS_", "LOG_", "SENTRY_", "JWT_")


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    child_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_INHERITED_PREFIXES)
    }
    # An explicit empty key also beats one a local .env file would set.
    child_env["DJANGO_SECRET_KEY"] = ""
    child_env.update(env)
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _import_settings(**env: str) -> subprocess.CompletedProcess[str]:
    return _run(
        [
            "-c",
            "import json, movieratings.settings as s; "
            "print(json.dumps({'DEBUG': s.DEBUG, 'ENV': s.DJANGO_ENV}))",
        ],
        **env,
    )


def _assert_refused(result: subprocess.CompletedProcess[str], mentions: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert mentions in result.stderr


def test_production_with_a_real_key_imports_with_debug_off():
    result = _import_settings(DJANGO_ENV="production", DJANGO_SECRET_KEY=GOOD_KEY)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"DEBUG": False, "ENV": "production"}


@pytest.mark.parametrize(
    "key",
    ["", "short-key", "django-insecure-" + "x" * 60],
    ids=["missing", "short", "django-insecure"],
)
def test_production_without_a_real_secret_key_is_refused(key):
    result = _import_settings(DJANGO_ENV="production", DJANGO_SECRET_KEY=key)

    _assert_refused(result, "DJANGO_SECRET_KEY")


def test_no_environment_at_all_means_production_and_is_refused_without_key():
    _assert_refused(_import_settings(), "DJANGO_SECRET_KEY")


@pytest.mark.parametrize("debug", ["1", "true", "on"])
def test_production_with_debug_on_is_refused(debug):
    result = _import_settings(
        DJANGO_ENV="production", DJANGO_SECRET_KEY=GOOD_KEY, DJANGO_DEBUG=debug
    )

    _assert_refused(result, "DJANGO_DEBUG")


def test_unknown_environment_name_is_refused():
    _assert_refused(_import_settings(DJANGO_ENV="staging"), "DJANGO_ENV")


def test_development_needs_no_configuration():
    result = _import_settings(DJANGO_ENV="development")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"DEBUG": True, "ENV": "development"}


@pytest.mark.parametrize(
    ("env", "timeout"),
    [
        ({}, 10),  # In-process: other processes' writes cannot reach it.
        ({"REDIS_URL": "redis://127.0.0.1:6379/0"}, 300),
        ({"CACHE_TIMEOUT": "60"}, 60),
    ],
)
def test_cached_entries_live_briefly_in_an_in_process_cache(env, timeout):
    result = _run(
        [
            "-c",
            "import movieratings.settings as s; "
            "print(s.CACHE_TIMEOUT, s.CACHES['default']['TIMEOUT'])",
        ],
        DJANGO_ENV="development",
        **env,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(timeout)] * 2


def test_check_deploy_passes_under_production_settings():
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS="example.com",
    )

    assert result.returncode == 0, result.stderr + result.stdout


_PRODUCTION_REQUESTS = """
import json, django
django.setup()
from django.test import Client
client = Client()
print(json.dumps({
    path: client.get(path).status_code
    for path in ["/healthz/", "/readyz/", "/api/v1/users/me/"]
} | {"https": Client().get("/api/v1/users/me/", secure=True).status_code}))
"""


def test_production_redirects_to_https_except_the_probes(tmp_path):
    # /readyz/ answers 503 (no reachable database here) rather than redirecting.
    result = _run(
        ["-c", _PRODUCTION_REQUESTS],
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="movieratings.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'missing' / 'db.sqlite3'}",
    )

    assert result.returncode == 0, result.stderr
    # Log lines (JSON in production) go to stdout too; the answer is the last line.
    assert json.loads(result.stdout.splitlines()[-1]) == {
        "/healthz/": 200,
        "/readyz/": 503,
        "/api/v1/users/me/": 301,
        "https": 401,
    }
