"""One log line per request, with its id and user; never a password or token."""

import json
import logging
import re
import sys
from collections.abc import Iterator
from io import StringIO
from typing import Any, cast

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.test import APIClient

from movieratings.logging import (
    JsonFormatter,
    RequestContextFilter,
    request_id_var,
    user_id_var,
)

pytestmark = pytest.mark.django_db

REQUEST_LOGGER = "movieratings.request"
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


class _Captured:
    """What the project's formatters (JSON and text) wrote, through its filter."""

    def __init__(self) -> None:
        self.json = StringIO()
        self.text = StringIO()

    def json_lines(self, logger: str | None = REQUEST_LOGGER) -> list[dict[str, Any]]:
        lines = [json.loads(line) for line in self.json.getvalue().splitlines()]
        return [line for line in lines if logger is None or line["logger"] == logger]

    def request_line(self) -> dict[str, Any]:
        (line,) = self.json_lines()
        return line


@pytest.fixture
def captured() -> Iterator[_Captured]:
    captured = _Captured()
    formatters = cast(dict[str, dict[str, str]], settings.LOGGING["formatters"])
    text_format = formatters["text"]["format"]
    handlers = []
    for stream, formatter in (
        (captured.json, JsonFormatter()),
        (captured.text, logging.Formatter(text_format)),
    ):
        handler = logging.StreamHandler(stream)
        handler.addFilter(RequestContextFilter())
        handler.setFormatter(formatter)
        handlers.append(handler)
    root = logging.getLogger()
    for handler in handlers:
        root.addHandler(handler)
    yield captured
    for handler in handlers:
        root.removeHandler(handler)


def test_request_logs_one_line_with_its_context(captured, user, client_for):
    response = client_for(user).get(
        reverse("users:user-me"), HTTP_X_REQUEST_ID="abc-123"
    )

    line = captured.request_line()
    assert response["X-Request-ID"] == "abc-123"
    assert line["request_id"] == "abc-123"
    assert line["user_id"] == str(user.pk)
    assert line["method"] == "GET"
    assert line["path"] == reverse("users:user-me")
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], int | float)
    assert line["duration_ms"] >= 0
    assert line["level"] == "INFO"


def test_request_text_line_has_request_id_user_and_status(captured, user, client_for):
    client_for(user).get(reverse("users:user-me"), HTTP_X_REQUEST_ID="abc-123")

    (line,) = [
        line for line in captured.text.getvalue().splitlines() if REQUEST_LOGGER in line
    ]
    assert "[abc-123 " in line
    assert f" user={user.pk}]" in line
    assert f"GET {reverse('users:user-me')} 200" in line


def test_anonymous_request_has_no_user_id(captured, api_client):
    api_client.get(reverse("healthz"))

    assert captured.request_line()["user_id"] == "-"


@pytest.mark.parametrize(
    "incoming",
    [
        "",
        "has spaces",
        "x" * 129,
        "line\nbreak",
        'quote"s',
        "<script>",
        "é-unicode",
    ],
)
def test_malformed_request_id_is_replaced_by_a_generated_one(
    captured, api_client, incoming
):
    response = api_client.get(reverse("healthz"), HTTP_X_REQUEST_ID=incoming)

    generated = response["X-Request-ID"]
    assert GENERATED_ID.match(generated)
    assert captured.request_line()["request_id"] == generated


def test_well_formed_request_id_up_to_128_chars_is_kept(api_client):
    incoming = "A1._:-" + "z" * 122

    response = api_client.get(reverse("healthz"), HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] == incoming


def test_each_request_without_id_gets_a_new_one(api_client):
    first = api_client.get(reverse("healthz"))["X-Request-ID"]
    second = api_client.get(reverse("healthz"))["X-Request-ID"]

    assert GENERATED_ID.match(first)
    assert first != second


def test_request_context_is_reset_after_the_request(user, client_for):
    client_for(user).get(reverse("users:user-me"), HTTP_X_REQUEST_ID="abc-123")

    assert request_id_var.get() == "-"
    assert user_id_var.get() == "-"


def test_logs_inside_a_request_carry_its_id(captured, api_client, monkeypatch):
    from movieratings import health

    def get(self: Any, request: Any) -> Any:
        logging.getLogger("movieratings.health").warning("inside the view")
        return original(self, request)

    original = health.HealthView.get
    monkeypatch.setattr(health.HealthView, "get", get)

    api_client.get(reverse("healthz"), HTTP_X_REQUEST_ID="trace-7")

    (inner,) = captured.json_lines("movieratings.health")
    assert inner["request_id"] == "trace-7"
    assert inner["message"] == "inside the view"


@pytest.mark.parametrize(
    ("path", "level"),
    [("users:user-me", "WARNING"), ("healthz", "INFO")],
)
def test_client_errors_log_at_warning(captured, api_client, path, level):
    api_client.get(reverse(path))

    assert captured.request_line()["level"] == level


def test_passwords_and_tokens_never_reach_the_logs(captured, caplog, capsys):
    password = "Sup3r-secret-passphrase"
    wrong = "Wr0ng-guess-passphrase"
    client = APIClient()
    caplog.set_level(logging.DEBUG)

    signup = client.post(
        reverse("users:auth-signup"),
        {"email": "ann@example.com", "username": "ann", "password": password},
    ).json()
    client.post(
        reverse("users:auth-token"), {"email": "ann@example.com", "password": wrong}
    )
    pair = client.post(
        reverse("users:auth-token"), {"email": "ann@example.com", "password": password}
    ).json()
    rotated = client.post(
        reverse("users:auth-refresh"), {"refresh": pair["refresh"]}
    ).json()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {rotated['access']}")
    client.post(
        reverse("users:user-password"),
        {"old_password": password, "new_password": wrong},
    )
    client.post(reverse("users:auth-logout"), {"refresh": rotated["refresh"]})
    client.post(reverse("users:auth-refresh"), {"refresh": rotated["refresh"]})

    out, err = capsys.readouterr()
    logged = "\n".join(
        [
            captured.json.getvalue(),
            captured.text.getvalue(),
            caplog.text,
            *(repr(record.__dict__) for record in caplog.records),
            out,
            err,
        ]
    )
    assert len(captured.json_lines()) == 7  # the requests were logged
    secrets = [password, wrong, signup["access"], signup["refresh"]]
    secrets += [pair["access"], pair["refresh"], rotated["access"], rotated["refresh"]]
    for secret in secrets:
        assert secret not in logged
        # The signature alone would be enough to replay a token.
        assert secret.rsplit(".", 1)[-1] not in logged


# --- the JSON formatter -----------------------------------------------------


def _record(**extra: Any) -> logging.LogRecord:
    record = logging.LogRecord(
        "movieratings.test", logging.WARNING, __file__, 1, "hello %s", ("world",), None
    )
    record.__dict__.update(extra)
    return record


def test_json_formatter_emits_one_valid_json_object_with_context_and_extras():
    record = _record(request_id="r-1", user_id="42", status=404, path="/x/")

    output = JsonFormatter().format(record)

    assert "\n" not in output
    payload = json.loads(output)
    assert payload["message"] == "hello world"
    assert payload["level"] == "WARNING"
    assert payload["logger"] == "movieratings.test"
    assert payload["request_id"] == "r-1"
    assert payload["user_id"] == "42"
    assert payload["status"] == 404
    assert payload["path"] == "/x/"
    assert payload["time"].endswith("+00:00")


def test_json_formatter_falls_back_to_current_context_without_filter():
    token = request_id_var.set("ctx-9")
    try:
        payload = json.loads(JsonFormatter().format(_record()))
    finally:
        request_id_var.reset(token)

    assert payload["request_id"] == "ctx-9"
    assert payload["user_id"] == "-"


def test_json_formatter_serialises_exceptions_and_odd_values():
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        exc_info = sys.exc_info()
    record = _record(obj=object(), when={1, 2})
    record.exc_info = exc_info

    payload = json.loads(JsonFormatter().format(record))

    assert "ValueError: bad" in payload["exception"]
    assert payload["obj"].startswith("<object object")
    assert payload["when"] in {"{1, 2}", "{2, 1}"}
