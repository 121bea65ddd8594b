"""Every error response has one shape: ``{"detail", "code", "fields"}``."""

import io
import json
import logging
from http import HTTPStatus
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import OperationalError
from django.http import Http404
from django.test import Client
from django.urls import reverse
from rest_framework import exceptions, serializers
from rest_framework.throttling import SimpleRateThrottle

from movieratings.exceptions import ERROR_CODES, exception_handler
from movieratings.health import HealthView
from users.tests.factories import DEFAULT_PASSWORD
from users.views import UserViewSet

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"detail", "code", "fields"}


def _assert_error(response: Any, status: HTTPStatus) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["code"], str)
    assert body["code"]
    assert isinstance(body["fields"], dict)
    return body


# --- over HTTP: one of each status ------------------------------------------


def test_400_validation_error_names_each_field(api_client):
    response = api_client.post(
        reverse("users:auth-signup"), {"email": "nope", "username": ""}
    )

    body = _assert_error(response, HTTPStatus.BAD_REQUEST)
    assert set(body["fields"]) == {"email", "username", "password"}
    assert all(
        isinstance(messages, list)
        and messages
        and all(isinstance(m, str) for m in messages)
        for messages in body["fields"].values()
    )
    assert body["code"] == "invalid"


def test_400_malformed_json(api_client):
    response = api_client.post(
        reverse("users:auth-token"), data="{oops", content_type="application/json"
    )

    body = _assert_error(response, HTTPStatus.BAD_REQUEST)
    assert body["fields"] == {}


def test_400_non_field_error_is_the_detail(admin_client, admin_user):
    url = reverse("users:user-detail", kwargs={"pk": admin_user.pk})

    body = _assert_error(admin_client.delete(url), HTTPStatus.BAD_REQUEST)

    assert body["detail"] == body["fields"]["non_field_errors"][0]


def test_401_missing_token_has_www_authenticate(api_client):
    response = api_client.get(reverse("users:user-me"))

    body = _assert_error(response, HTTPStatus.UNAUTHORIZED)
    assert body["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_401_invalid_token_uses_simplejwt_code(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")

    body = _assert_error(
        api_client.get(reverse("users:user-me")), HTTPStatus.UNAUTHORIZED
    )

    assert body["code"] == "token_not_valid"
    assert body["fields"] == {}


def test_401_wrong_credentials(api_client, user):
    response = api_client.post(
        reverse("users:auth-token"), {"email": user.email, "password": "wrong"}
    )

    _assert_error(response, HTTPStatus.UNAUTHORIZED)


def test_403_not_allowed(user_client):
    body = _assert_error(
        user_client.get(reverse("users:user-list")), HTTPStatus.FORBIDDEN
    )

    assert body["code"] == "permission_denied"


def test_403_raised_by_a_service(user_client, user):
    url = reverse("users:user-detail", kwargs={"pk": user.pk})

    body = _assert_error(
        user_client.patch(url, {"role": "admin"}), HTTPStatus.FORBIDDEN
    )

    assert "role" in body["detail"]


def test_404_unknown_object(admin_client):
    url = reverse("users:user-detail", kwargs={"pk": 10**9})

    body = _assert_error(admin_client.get(url), HTTPStatus.NOT_FOUND)

    assert body["code"] == "not_found"


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here/", "/api/nothing/", "/api/v1/users/x/", "/nowhere/"]
)
def test_404_unknown_url_is_json(api_client, path):
    _assert_error(api_client.get(path), HTTPStatus.NOT_FOUND)


def test_405_wrong_method(api_client):
    response = api_client.delete(reverse("users:auth-signup"))

    body = _assert_error(response, HTTPStatus.METHOD_NOT_ALLOWED)
    assert body["code"] == "method_not_allowed"
    assert "POST" in response["Allow"]


def test_413_body_over_limit(api_client, settings):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert limit == 64 * 1024
    oversized = '{"email": "' + "a" * limit + '"}'

    response = api_client.post(
        reverse("users:auth-signup"), data=oversized, content_type="application/json"
    )

    body = _assert_error(response, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
    assert body["code"] == "request_too_large"
    assert response.has_header("X-Request-ID")


def test_body_at_limit_is_read_not_refused(api_client, settings):
    filler = "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE - len('{"email": ""}'))
    body = '{"email": "' + filler + '"}'
    assert len(body.encode()) == settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    response = api_client.post(
        reverse("users:auth-signup"), data=body, content_type="application/json"
    )

    assert "email" in _assert_error(response, HTTPStatus.BAD_REQUEST)["fields"]


def test_413_follows_the_setting(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100

    response = api_client.post(
        reverse("users:auth-token"),
        {"email": "a" * 80 + "@example.com", "password": "x"},
    )

    _assert_error(response, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)


def _post_chunked(client: Client, body: bytes, *, terminated: bool) -> Any:
    """POST ``body`` as a WSGI server hands on a chunked one: without its length.

    gunicorn ends the input with the body and says so (``wsgi.input_terminated``).
    """
    environ: dict[str, Any] = {"wsgi.input": io.BytesIO(body)} if terminated else {}
    if terminated:
        environ["wsgi.input_terminated"] = True
    return client.generic(
        "POST",
        reverse("users:auth-token"),
        body,
        content_type="application/json",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
        **environ,
    )


def test_chunked_body_from_a_server_that_ends_the_input_is_read(
    api_client, user, settings
):
    body = json.dumps({"email": user.email, "password": DEFAULT_PASSWORD})

    response = _post_chunked(api_client, body.encode(), terminated=True)

    assert response.status_code == HTTPStatus.OK, response.content
    assert "access" in response.json()


def test_chunked_body_over_the_limit_is_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = json.dumps({"email": "a" * 200, "password": "x"}).encode()

    response = _post_chunked(api_client, body, terminated=True)

    assert _assert_error(response, HTTPStatus.REQUEST_ENTITY_TOO_LARGE)["code"] == (
        "request_too_large"
    )


def test_chunked_body_from_a_server_that_does_not_end_the_input_is_411(
    api_client,
):
    response = _post_chunked(
        api_client, b'{"email": "a@example.com"}', terminated=False
    )

    error = _assert_error(response, HTTPStatus.LENGTH_REQUIRED)
    assert error["code"] == "length_required"


def test_415_wrong_content_type(api_client):
    response = api_client.post(
        reverse("users:auth-token"), data="email=a&password=b", content_type="text/csv"
    )

    body = _assert_error(response, HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
    assert body["code"] == "unsupported_media_type"


def test_429_throttled_has_retry_after(api_client, user, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "login", "2/min")
    url = reverse("users:auth-token")
    credentials = {"email": user.email, "password": DEFAULT_PASSWORD}
    for _ in range(2):
        assert api_client.post(url, credentials).status_code == HTTPStatus.OK

    response = api_client.post(url, credentials)

    body = _assert_error(response, HTTPStatus.TOO_MANY_REQUESTS)
    assert body["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_400_bad_host_is_json(api_client):
    response = api_client.get(reverse("healthz"), HTTP_HOST="evil.example.net")

    _assert_error(response, HTTPStatus.BAD_REQUEST)


def test_503_when_database_unavailable(admin_client, monkeypatch):
    def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(UserViewSet, "list", unavailable)

    response = admin_client.get(reverse("users:user-list"))

    body = _assert_error(response, HTTPStatus.SERVICE_UNAVAILABLE)
    assert body["code"] == "service_unavailable"
    assert int(response["Retry-After"]) > 0
    assert "connection refused" not in body["detail"]


def test_500_unexpected_error_is_json_and_logged_with_traceback(monkeypatch, caplog):
    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(HealthView, "get", crash)
    client = Client(raise_request_exception=False)

    with caplog.at_level(logging.ERROR):
        response = client.get(reverse("healthz"))

    body = _assert_error(response, HTTPStatus.INTERNAL_SERVER_ERROR)
    assert "secret internals" not in response.content.decode()
    assert body["code"] == "server_error"
    assert any(
        record.exc_info and record.exc_info[0] is RuntimeError
        for record in caplog.records
    )


def test_406_accept_without_json_is_answered_in_json(user_client):
    response = user_client.get(
        reverse("users:user-me"), HTTP_ACCEPT="text/html,application/xhtml+xml"
    )

    assert (
        _assert_error(response, HTTPStatus.NOT_ACCEPTABLE)["code"] == "not_acceptable"
    )


def test_browser_accept_header_with_wildcard_gets_json(user_client):
    response = user_client.get(
        reverse("users:user-me"),
        HTTP_ACCEPT="text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
    )

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"


# --- the handler itself --------------------------------------------------------


class _NestedSerializer(serializers.Serializer[Any]):
    class _Item(serializers.Serializer[Any]):
        slug = serializers.SlugField()

    items = _Item(many=True)
    name = serializers.CharField()


def _handle(exc: Exception) -> Any:
    return exception_handler(exc, {"view": None, "request": None})


def test_handler_flattens_nested_field_errors():
    serializer = _NestedSerializer(data={"items": [{"slug": "ok"}, {"slug": "n o"}]})
    assert not serializer.is_valid()

    response = _handle(exceptions.ValidationError(serializer.errors))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert set(response.data) == ERROR_KEYS
    assert set(response.data["fields"]) == {"items.1.slug", "name"}


@pytest.mark.parametrize(
    ("exc", "status", "fields"),
    [
        (DjangoValidationError({"email": ["Taken."]}), 400, {"email": ["Taken."]}),
        (
            DjangoValidationError("Not allowed."),
            400,
            {"non_field_errors": ["Not allowed."]},
        ),
        (
            DjangoValidationError(["One.", "Two."]),
            400,
            {"non_field_errors": ["One.", "Two."]},
        ),
        (DjangoPermissionDenied("Nope."), 403, {}),
        (Http404("No User matches the given query."), 404, {}),
        (exceptions.NotAuthenticated(), 401, {}),
        (exceptions.Throttled(wait=3), 429, {}),
    ],
)
def test_handler_renders_known_exceptions_in_shape(exc, status, fields):
    response = _handle(exc)

    assert response.status_code == status
    assert set(response.data) == ERROR_KEYS
    assert response.data["fields"] == fields
    assert response.data["detail"]


def test_handler_does_not_reveal_model_names_in_404():
    response = _handle(Http404("No User matches the given query."))

    assert "User" not in response.data["detail"]


def test_handler_leaves_unknown_exceptions_to_the_500_handler():
    assert _handle(RuntimeError("boom")) is None


def test_api_error_response_carries_request_id(api_client):
    response = api_client.get(reverse("users:user-me"), HTTP_X_REQUEST_ID="req-42")

    assert response["X-Request-ID"] == "req-42"


# --- every /api/ path answers JSON, in every mode ---------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/movies/abc/",
        "/api/v1/movies/abc/ratings/",
        "/api/v1/genres/1.5/",
        "/api/v1/nothing-here/",
        "/api/nothing",
    ],
)
@pytest.mark.parametrize("debug", [False, True])
def test_unknown_api_path_is_a_json_404_also_in_debug(
    api_client, settings, path, debug
):
    settings.DEBUG = debug

    body = _assert_error(api_client.get(path), HTTPStatus.NOT_FOUND)

    assert body["code"] == "not_found"


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("method", ["get", "post", "put", "delete"])
def test_api_path_without_its_slash_redirects_with_308(
    api_client, settings, debug, method
):
    settings.DEBUG = debug

    response = getattr(api_client, method)("/api/v1/auth/token?next=1")

    assert response.status_code == HTTPStatus.PERMANENT_REDIRECT
    assert response["Location"] == "/api/v1/auth/token/?next=1"


def test_post_without_the_slash_reaches_the_operation_after_the_redirect(
    api_client, user
):
    credentials = {"email": user.email, "password": DEFAULT_PASSWORD}

    response = api_client.post("/api/v1/auth/token", credentials, follow=True)

    assert response.status_code == HTTPStatus.OK
    assert set(response.json()) == {"access", "refresh"}


# --- codes are the documented ones ------------------------------------------


def test_a_code_outside_the_list_is_answered_as_its_statuss_code():
    unlisted = exceptions.ValidationError("Not allowed.", code="house_rule")

    response = _handle(unlisted)

    assert response.data["code"] == "invalid"
    assert response.data["detail"] == "Not allowed."


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (exceptions.NotAuthenticated(), "not_authenticated"),
        (exceptions.Throttled(wait=3), "throttled"),
        (exceptions.ParseError(), "parse_error"),
        (exceptions.AuthenticationFailed(code="mystery"), "authentication_failed"),
    ],
)
def test_listed_codes_are_kept_and_others_generalised(exc, code):
    response = _handle(exc)

    assert response.data["code"] == code
    assert code in ERROR_CODES
