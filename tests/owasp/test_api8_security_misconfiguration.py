"""API8 Security Misconfiguration: production settings are safe, and stay so.

Here: the settings production actually loads (read in a subprocess with
``DJANGO_ENV=production``) beyond what ``check --deploy`` looks at: JSON-only
renderers and parsers (no browsable API), no CORS wildcard, short-lived tokens
signed with a strong key (a weak ``JWT_SIGNING_KEY`` is refused like a weak
``DJANGO_SECRET_KEY``), no SQL in the logs, a body limit; and no operation of
the API sets a cookie (a token API has no session to fix or forge).

Covered elsewhere, not repeated:

- ``manage.py check --deploy --fail-level WARNING`` clean under production
  settings (subprocess), ``DEBUG`` and weak or missing ``DJANGO_SECRET_KEY``
  refused in production, HTTPS redirect except the probes:
  ``movieratings/tests/test_settings.py``;
- Argon2 password hashing in production:
  ``movieratings/tests/test_password_hashing.py``;
- security headers (nosniff, frame DENY, referrer and opener policies, HSTS
  with subdomains and preload over HTTPS only), CORS limited to configured
  origins and to ``/api/``, JSON 404/405/400 without debug pages, no server
  version: ``tests/hardening/test_security_headers.py`` (real gunicorn);
- errors without debug pages on the production server and one JSON log line
  per request: ``tests/test_production_server.py``; no secret in the logs:
  ``movieratings/tests/test_logging.py``; a 500 is JSON and its traceback goes
  to the log only: ``movieratings/tests/test_errors.py``;
- methods an operation does not document (TRACE included) are 405:
  ``tests/owasp/test_api9_inventory.py``.
"""

import json
import os
import secrets
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings

from .operations import Operation, build_world, call, operations, valid_body

GOOD_KEY = secrets.token_urlsafe(64)[:60]
# Variables of the test process that must not leak into the child.
_INHERITED_PREFIXES = (
    "DJANGO_",
    "DATABASE_",
    "REDIS_",
    "LOG_",
    "SENTRY_",
    "JWT_",
    "CORS_",
    "THROTTLE_",
)

_READ_SETTINGS = """
import json
from django.conf import settings as s
import django
django.setup()
print(json.dumps({
    "DEBUG": s.DEBUG,
    "DEBUG_PROPAGATE_EXCEPTIONS": s.DEBUG_PROPAGATE_EXCEPTIONS,
    "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "renderers": s.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"],
    "parsers": s.REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"],
    "authentication": s.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"],
    "permissions": s.REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"],
    "throttles": s.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"],
    "CORS_ALLOW_ALL_ORIGINS": getattr(s, "CORS_ALLOW_ALL_ORIGINS", False),
    "CORS_ALLOWED_ORIGINS": s.CORS_ALLOWED_ORIGINS,
    "CORS_ALLOW_CREDENTIALS": getattr(s, "CORS_ALLOW_CREDENTIALS", False),
    "CORS_URLS_REGEX": s.CORS_URLS_REGEX,
    "jwt_algorithm": s.SIMPLE_JWT.get("ALGORITHM", "HS256"),
    "jwt_key_length": len(s.SIMPLE_JWT["SIGNING_KEY"]),
    "jwt_access_seconds": s.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds(),
    "jwt_rotate": s.SIMPLE_JWT["ROTATE_REFRESH_TOKENS"],
    "jwt_blacklist": s.SIMPLE_JWT["BLACKLIST_AFTER_ROTATION"],
    "body_limit": s.DATA_UPLOAD_MAX_MEMORY_SIZE,
    "log_format": s.LOG_FORMAT,
    "log_level": s.LOG_LEVEL,
    "sql_log_level": s.LOGGING["loggers"]["django.db.backends"]["level"],
    "SESSION_COOKIE_HTTPONLY": s.SESSION_COOKIE_HTTPONLY,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": s.CSRF_COOKIE_SECURE,
}))
"""


def _run_production(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    child_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_INHERITED_PREFIXES)
    }
    child_env.update(
        {
            "DJANGO_SETTINGS_MODULE": "movieratings.settings",
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": GOOD_KEY,
            "DJANGO_ALLOWED_HOSTS": "api.example.com",
        }
    )
    child_env.update(env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def production() -> dict[str, Any]:
    result = _run_production(_READ_SETTINGS)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_production_serves_and_reads_json_only(production: dict[str, Any]) -> None:
    # No browsable API (HTML forms, a login link) and no form or multipart
    # parsing: one media type in, one out.
    assert production["DEBUG"] is False
    assert production["DEBUG_PROPAGATE_EXCEPTIONS"] is False
    assert production["renderers"] == ["drf_orjson_renderer.renderers.ORJSONRenderer"]
    assert production["parsers"] == ["movieratings.parsers.JSONParser"]


def test_production_denies_by_default(production: dict[str, Any]) -> None:
    assert production["authentication"] == ["users.authentication.JWTAuthentication"]
    assert production["permissions"] == ["rest_framework.permissions.IsAuthenticated"]
    assert production["throttles"], "no default throttle"
    assert "*" not in production["ALLOWED_HOSTS"]


def test_production_allows_no_cross_origin_caller_by_default(
    production: dict[str, Any],
) -> None:
    assert production["CORS_ALLOW_ALL_ORIGINS"] is False
    assert production["CORS_ALLOWED_ORIGINS"] == []
    assert production["CORS_ALLOW_CREDENTIALS"] is False
    assert production["CORS_URLS_REGEX"] == r"^/api/.*$"


def test_production_tokens_are_short_lived_and_strongly_signed(
    production: dict[str, Any],
) -> None:
    assert production["jwt_algorithm"] == "HS256"
    assert production["jwt_key_length"] >= 50
    assert production["jwt_access_seconds"] <= timedelta(minutes=15).total_seconds()
    assert production["jwt_rotate"] is True
    assert production["jwt_blacklist"] is True


def test_production_logs_json_without_sql_and_limits_bodies(
    production: dict[str, Any],
) -> None:
    assert production["log_format"] == "json"
    assert production["log_level"] != "DEBUG"
    # At DEBUG, django.db.backends logs every query with its parameters.
    assert production["sql_log_level"] != "DEBUG"
    assert 0 < production["body_limit"] <= 64 * 1024
    assert production["SESSION_COOKIE_HTTPONLY"] is True
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["CSRF_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    "key",
    ["secret", "x" * 49, "django-insecure-" + "x" * 60],
    ids=["word", "49 characters", "django-insecure"],
)
def test_production_refuses_a_weak_jwt_signing_key(key: str) -> None:
    result = _run_production("import movieratings.settings", JWT_SIGNING_KEY=key)

    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert "JWT_SIGNING_KEY" in result.stderr


def test_production_accepts_a_strong_jwt_signing_key() -> None:
    key = secrets.token_urlsafe(64)
    code = "import movieratings.settings as s; print(s.SIMPLE_JWT['SIGNING_KEY'])"

    result = _run_production(code, JWT_SIGNING_KEY=key)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == key


@pytest.mark.django_db
@pytest.mark.parametrize("op", operations(), ids=lambda op: op.key)
def test_no_operation_sets_a_cookie(op: Operation) -> None:
    # As an admin, every operation succeeds (on the admin's own rating and
    # account, or on another user's for the admin routes).
    world = build_world()
    body = valid_body(op, world, "admin")

    response = call(op, world, "admin", body=body, legit=True)

    assert response.status_code < 400, response.content
    assert not response.cookies
    assert "Set-Cookie" not in response
