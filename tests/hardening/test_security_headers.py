"""Security headers, error pages and CORS of the production server (gunicorn).

The paths are the HTTP contract's (docs/API.md): these tests talk to a real
server process the way a client does, so they name URLs, not view names.
"""

import re
from collections.abc import Iterator
from http import HTTPStatus

import pytest

from movieratings.testing import HttpResponse, Server, ServerFactory, is_error_shape

pytestmark = pytest.mark.server

ALLOWED_ORIGIN = "https://app.example.com"
OTHER_ORIGIN = "https://evil.example.net"
HSTS_SECONDS = 31536000
ME = "/api/v1/users/me/"
SIGNUP = "/api/v1/auth/signup/"


@pytest.fixture(scope="module")
def server(sqlite_server_factory: ServerFactory) -> Iterator[Server]:
    with sqlite_server_factory(CORS_ALLOWED_ORIGINS=ALLOWED_ORIGIN) as server:
        yield server


def _assert_no_debug_page(response: HttpResponse) -> None:
    assert is_error_shape(response), str(response)
    for leak in (b"Traceback", b"DEBUG", b"<html", b"settings.py", b"urlpatterns"):
        assert leak not in response.body, str(response)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/healthz/"),
        ("GET", ME),
        ("POST", SIGNUP),
        ("GET", "/no-such-page/"),
    ],
)
def test_responses_carry_the_browser_security_headers(
    server: Server, method: str, path: str
) -> None:
    response = server.request(method, path, body={} if method == "POST" else None)

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_https_request_gets_hsts_with_subdomains_and_preload(server: Server) -> None:
    response = server.request(
        "GET", "/healthz/", headers={"X-Forwarded-Proto": "https"}
    )

    assert response.status == HTTPStatus.OK
    directives = {
        part.strip()
        for part in response.headers["Strict-Transport-Security"].split(";")
    }
    assert directives == {f"max-age={HSTS_SECONDS}", "includeSubDomains", "preload"}


def test_plain_http_request_gets_no_hsts(server: Server) -> None:
    # Browsers ignore HSTS over plain HTTP; sending it would only mislead.
    response = server.request("GET", "/healthz/")

    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("path", ["/no-such-page/", "/api/v1/no-such-resource/"])
def test_unknown_url_is_a_json_404_without_debug_page(
    server: Server, path: str
) -> None:
    response = server.request("GET", path)

    assert response.status == HTTPStatus.NOT_FOUND
    _assert_no_debug_page(response)
    assert response.json()["code"] == "not_found"


def test_wrong_method_is_a_json_405_naming_the_allowed_ones(server: Server) -> None:
    response = server.request("GET", SIGNUP)

    assert response.status == HTTPStatus.METHOD_NOT_ALLOWED
    _assert_no_debug_page(response)
    assert "POST" in response.headers["Allow"]


def test_unknown_host_is_a_json_400_without_debug_page(server: Server) -> None:
    response = server.request("GET", ME, headers={"Host": "evil.example.net"})

    assert response.status == HTTPStatus.BAD_REQUEST
    _assert_no_debug_page(response)


def test_malformed_json_is_a_400_in_the_error_shape(server: Server) -> None:
    response = server.request(
        "POST",
        SIGNUP,
        raw=b'{"email": "ann@example.com",',
        headers={"Content-Type": "application/json"},
    )

    assert response.status == HTTPStatus.BAD_REQUEST
    _assert_no_debug_page(response)


def test_server_header_reveals_no_version(server: Server) -> None:
    response = server.request("GET", "/healthz/")

    server_header = response.headers.get("Server", "")
    assert not re.search(r"[0-9]", server_header), server_header
    assert "python" not in server_header.lower()
    assert "X-Powered-By" not in response.headers


def test_allowed_origin_gets_cors_headers_on_the_api(server: Server) -> None:
    response = server.request("GET", ME, headers={"Origin": ALLOWED_ORIGIN})

    assert response.status == HTTPStatus.UNAUTHORIZED
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert "origin" in response.headers.get("Vary", "").lower()


def test_allowed_origin_preflight_may_send_a_bearer_token(server: Server) -> None:
    response = server.request(
        "OPTIONS",
        ME,
        headers={
            "Origin": ALLOWED_ORIGIN,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )

    assert response.status == HTTPStatus.OK
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    allowed_headers = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed_headers


def test_disallowed_origin_gets_no_cors_headers(server: Server) -> None:
    response = server.request("GET", ME, headers={"Origin": OTHER_ORIGIN})
    preflight = server.request(
        "OPTIONS",
        ME,
        headers={"Origin": OTHER_ORIGIN, "Access-Control-Request-Method": "GET"},
    )

    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Origin" not in preflight.headers


def test_cors_headers_are_limited_to_the_api(server: Server) -> None:
    response = server.request("GET", "/healthz/", headers={"Origin": ALLOWED_ORIGIN})

    assert response.status == HTTPStatus.OK
    assert "Access-Control-Allow-Origin" not in response.headers
