"""Bad input to every write operation: a clear 4xx, nothing stored, nothing logged.

The write operations (POST, PUT, PATCH) and their request properties are read
from the OpenAPI schema, so a new endpoint or field joins the matrix by
itself. Each operation is called by a caller whose valid call would succeed
(``tests/owasp/operations.py``), with one thing wrong at a time:

- malformed JSON, JSON that is not an object, invalid UTF-8, lone surrogates;
- a value of the wrong JSON type for each property (per its schema type);
- NUL characters in each string property;
- numbers beyond any column or float (``1e400``, ``2**70``, ``NaN``) in each
  numeric property;
- nesting 10000 levels deep;
- each string one character over its ``maxLength``, each list over ``maxItems``;
- a body over the 64 KiB limit (413), and on the real server (gunicorn) a
  chunked body without ``Content-Length``, which is read like any other
  (413 over the limit);
- only unknown properties (ignored, as DRF does: nothing changes, not even
  ``updated_at``);
- a content type other than JSON (415: only the JSON parser is configured).

The one operation that takes a file upload (the history import) gets the
upload's own cases instead: a broken multipart body, no file, an empty file,
a file that is not UTF-8 or not CSV, a body over its own limit (413), and JSON
or any other content type (415).

Every answer is a 4xx in the ``{detail, code, fields}`` shape (naming the
property where there is one), the database is unchanged (every row of the API's
tables compared before and after) and nothing is logged at ERROR level.

Per-route cases that already exist stay where they are: sign-up in
``users/tests/test_auth.py``, odd values on the users routes (no 500) in
``users/tests/test_robustness.py``, movie fields in
``movies/tests/test_views_movie_writes.py``, ratings in
``ratings/tests/test_api_ratings.py``, the 413 limit itself in
``movieratings/tests/test_errors.py``.
"""

import contextlib
import json
import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from movieratings.testing import Server, ServerFactory
from tests.owasp.operations import (
    SPECS as CALL_SPECS,
)
from tests.owasp.operations import (
    STRONG_PASSWORD,
    Operation,
    RoleName,
    World,
    build_world,
    call,
    error_body,
    json_write_operations,
    snapshot,
    valid_body,
    write_operations,
)

pytestmark = pytest.mark.django_db

JSON = "application/json"
BAD_REQUEST = HTTPStatus.BAD_REQUEST
DEPTH = 10_000
HUGE_NUMBERS = ["1e400", "-1e400", str(2**70), str(-(2**70)), "1e308", "NaN"]


@dataclass(frozen=True)
class Case:
    """One bad request: its body, content type and the answer it must get."""

    label: str
    raw: bytes
    statuses: frozenset[int] = frozenset({BAD_REQUEST})
    content_type: str = JSON
    # The request property the error must name, if any.
    field: str | None = None


def _encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _with_literal(body: dict[str, Any], name: str, literal: str) -> bytes:
    """Return ``body`` as JSON with property ``name`` set to a raw JSON literal."""
    marker = "__literal_marker__"
    return _encode({**body, name: marker}).replace(
        json.dumps(marker).encode(), literal.encode()
    )


def _wrong_types(prop: dict[str, Any]) -> list[Any]:
    """Return values of the wrong JSON type (or null where not allowed)."""
    kind = prop.get("type")
    values: list[Any] = [{}] if kind == "array" else [[], {}]
    if kind == "string" and "enum" in prop:
        values += [5, True, "superuser"]
    elif kind == "string":
        values += [5, 1.5, True, ["text"], {"text": "text"}]
    elif kind == "integer":
        values += ["12x", "1e3", 1.5, True, [1]]
    elif kind == "number":
        values += ["4.5", True, [4.5]]
    elif kind == "array":
        values += ["text", 5, True, [[]], [{}]]
    elif kind == "boolean":
        values += ["maybe", 2, [True]]
    if not prop.get("nullable"):
        values.append(None)
    return values


def _string_properties(op: Operation) -> dict[str, dict[str, Any]]:
    return {
        name: prop
        for name, prop in op.request_properties.items()
        if prop.get("type") == "string"
    }


# --- the categories of bad input ----------------------------------------------

Builder = Callable[[Operation, dict[str, Any]], list[Case]]


def _first_property(properties: dict[str, Any]) -> str:
    # An operation without properties (PUT movies/{id}/watchlist/) still
    # parses any body it is sent: an unknown property will do.
    return next(iter(properties), "a")


def malformed(op: Operation, body: dict[str, Any]) -> list[Case]:
    first = _first_property(op.request_properties)
    return [
        # An empty body is no body at all, which a bodiless operation takes.
        Case("truncated", _encode(body)[:-2] or b"{"),
        Case("trailing comma", b'{"a": 1,}'),
        Case("single quotes", b"{'a': 1}"),
        Case("two documents", _encode(body) + _encode(body)),
        Case("array", b"[]"),
        Case("string", b'"text"'),
        Case("number", b"42"),
        Case("null", b"null"),
        Case("invalid UTF-8", f'{{"{first}": "'.encode() + b'\xff\xfe\xc0\xaf"}'),
        Case("UTF-8 BOM then garbage", b"\xef\xbb\xbf\xff"),
        Case("lone surrogate", f'{{"{first}": "\\ud800"}}'.encode()),
    ]


def wrong_types(op: Operation, body: dict[str, Any]) -> list[Case]:
    return [
        Case(f"{name}={value!r}", _encode({**body, name: value}), field=name)
        for name, prop in op.request_properties.items()
        for value in _wrong_types(prop)
    ]


def nul_characters(op: Operation, body: dict[str, Any]) -> list[Case]:
    cases = [
        Case(f"{name} with NUL", _encode({**body, name: "ab\x00cd"}), field=name)
        for name in _string_properties(op)
    ]
    cases += [
        Case(f"{name} item with NUL", _encode({**body, name: ["ab\x00cd"]}), field=name)
        for name, prop in op.request_properties.items()
        if prop.get("type") == "array"
    ]
    return cases


def huge_numbers(op: Operation, body: dict[str, Any]) -> list[Case]:
    return [
        Case(f"{name}={literal}", _with_literal(body, name, literal))
        for name, prop in op.request_properties.items()
        if prop.get("type") in {"integer", "number"}
        for literal in HUGE_NUMBERS
    ]


def deep_nesting(op: Operation, body: dict[str, Any]) -> list[Case]:
    first = _first_property(op.request_properties)
    return [
        Case("arrays", b"[" * DEPTH + b"]" * DEPTH),
        Case("objects", b'{"a":' * DEPTH + b"1" + b"}" * DEPTH),
        Case(
            f"{first} nested",
            _with_literal(body, first, "[" * DEPTH + "]" * DEPTH),
        ),
    ]


def oversized_values(op: Operation, body: dict[str, Any]) -> list[Case]:
    cases = [
        Case(
            f"{name} of {prop['maxLength'] + 1}",
            _encode({**body, name: "x" * (prop["maxLength"] + 1)}),
            field=name,
        )
        for name, prop in _string_properties(op).items()
        if "maxLength" in prop
    ]
    for name, prop in op.request_properties.items():
        if prop.get("type") == "array":
            item_length = prop["items"]["maxLength"]
            cases += [
                Case(
                    f"{name} item of {item_length + 1}",
                    _encode({**body, name: ["x" * (item_length + 1)]}),
                    field=name,
                ),
                Case(
                    f"{name} of {prop['maxItems'] + 1} items",
                    _encode(
                        {**body, name: [f"g{i}" for i in range(prop["maxItems"] + 1)]}
                    ),
                    field=name,
                ),
            ]
    return cases


def oversized_body(op: Operation, body: dict[str, Any]) -> list[Case]:
    first = _first_property(_string_properties(op))
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    raw = _encode({**body, first: "x" * limit})
    assert len(raw) > limit
    return [
        Case("over the limit", raw, frozenset({HTTPStatus.REQUEST_ENTITY_TOO_LARGE}))
    ]


def unknown_properties(op: Operation, body: dict[str, Any]) -> list[Case]:
    unknown = {"unknown_property": 1, "__proto__": {"role": "admin"}, "": "x"}
    # With nothing the operation takes, an operation that requires properties
    # names them in a 400; one that requires none (PATCH) changes nothing.
    required = op.request_schema.get("required", [])
    statuses = frozenset({BAD_REQUEST} if required else {HTTPStatus.OK})
    return [
        Case(
            "only unknown properties",
            _encode(unknown),
            statuses,
            field=required[0] if required else None,
        )
    ]


def content_types(op: Operation, body: dict[str, Any]) -> list[Case]:
    raw = _encode(body)
    unsupported = frozenset({HTTPStatus.UNSUPPORTED_MEDIA_TYPE})
    return [
        Case(content_type, raw, unsupported, content_type=content_type)
        for content_type in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=xyz",
            "application/xml",
            "application/jsonx",
            "text/json",
        ]
    ] + [
        Case(
            "JSON declared as UTF-16",
            raw,
            frozenset({BAD_REQUEST, HTTPStatus.UNSUPPORTED_MEDIA_TYPE}),
            content_type="application/json; charset=utf-16",
        ),
    ]


CATEGORIES: dict[str, Builder] = {
    "malformed": malformed,
    "wrong types": wrong_types,
    "NUL characters": nul_characters,
    "huge numbers": huge_numbers,
    "deep nesting": deep_nesting,
    "oversized values": oversized_values,
    "oversized body": oversized_body,
    "unknown properties": unknown_properties,
    "content types": content_types,
}


def _caller(op: Operation) -> RoleName:
    """Return the most privileged role whose valid call of ``op`` succeeds."""
    return CALL_SPECS[op.key].input_roles[-1]


@pytest.mark.parametrize("op", json_write_operations(), ids=lambda op: op.key)
def test_bad_input_is_a_clear_4xx_that_stores_and_logs_nothing(
    op: Operation, caplog: pytest.LogCaptureFixture
) -> None:
    world: World = build_world()
    role = _caller(op)
    body = valid_body(op, world, role) or {}
    before = snapshot()

    with caplog.at_level(logging.INFO):
        for category, build in CATEGORIES.items():
            for case in build(op, body):
                label = f"{category}: {case.label}"
                response = call(
                    op,
                    world,
                    role,
                    raw=case.raw,
                    content_type=case.content_type,
                    legit=True,
                )

                assert response.status_code in case.statuses, (label, response)
                if response.status_code >= BAD_REQUEST:
                    error = error_body(response)
                    if case.field is not None:
                        named = {key.split(".")[0] for key in error["fields"]}
                        assert case.field in named, (label, error)
            # Every row of the API's tables, compared once per category.
            assert snapshot() == before, category

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


def _form(
    label: str,
    statuses: frozenset[int] = frozenset({BAD_REQUEST}),
    *,
    field: str | None = "file",
    **fields: Any,
) -> Case:
    """A multipart form with these fields; a bytes value is sent as a file."""
    files = {
        name: SimpleUploadedFile("ratings.csv", value, "text/csv")
        if isinstance(value, bytes)
        else value
        for name, value in fields.items()
    }
    raw = encode_multipart(BOUNDARY, files)
    return Case(label, raw, statuses, content_type=MULTIPART_CONTENT, field=field)


def upload_cases() -> list[Case]:
    unsupported = frozenset({HTTPStatus.UNSUPPORTED_MEDIA_TYPE})
    header = b"Date,Name,Year,Letterboxd URI,Rating\n"
    row = b"2020-01-02,Heat,1995,https://boxd.it/x,4\n"
    limit = settings.IMPORT_MAX_FILE_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return [
        Case("broken multipart", b"--x\r\ngarbage", content_type=MULTIPART_CONTENT),
        _form("no file", dry_run="false"),
        _form("a file field that is text", file="Const,Your Rating"),
        _form("empty file", file=b""),
        _form("header only", file=header),
        _form("latin-1", file=header + "x,Amélie,2001,u,4\n".encode("latin-1")),
        _form("NUL characters", file=header + b"x,\x00,2001,u,4\n"),
        _form("unknown header", file=b"a,b,c\n1,2,3\n"),
        _form("dry_run not a boolean", field="dry_run", file=header + row, dry_run="?"),
        _form(
            "over the limit",
            frozenset({HTTPStatus.REQUEST_ENTITY_TOO_LARGE}),
            field=None,
            file=header + row * (limit // len(row)),
        ),
        Case("JSON", _encode({"file": "x"}), unsupported),
        Case("CSV as the body", header + row, unsupported, content_type="text/csv"),
        Case(
            "urlencoded form",
            b"file=x",
            unsupported,
            content_type="application/x-www-form-urlencoded",
        ),
    ]


@pytest.mark.parametrize(
    "op", [op for op in write_operations() if op.takes_upload], ids=lambda op: op.key
)
def test_bad_upload_is_a_clear_4xx_that_stores_and_logs_nothing(
    op: Operation, caplog: pytest.LogCaptureFixture
) -> None:
    world: World = build_world()
    role = _caller(op)
    before = snapshot()

    with caplog.at_level(logging.INFO):
        for case in upload_cases():
            response = call(
                op,
                world,
                role,
                raw=case.raw,
                content_type=case.content_type,
                legit=True,
            )

            assert response.status_code in case.statuses, (case.label, response)
            error = error_body(response)
            if case.field is not None:
                assert case.field in error["fields"], (case.label, error)
            assert snapshot() == before, case.label

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


def test_every_write_operation_can_be_called_here() -> None:
    assert {op.key for op in write_operations()} <= {
        key for key, spec in CALL_SPECS.items() if spec.input_roles
    }


# --- on the real server --------------------------------------------------------


def _send_chunked(server: Server, path: str, body: bytes) -> bytes:
    """POST ``body`` in chunks without Content-Length; return the raw response."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=15) as sock:
        # The server may answer and close before reading it all: that is the point.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(head)
            for start in range(0, len(body), CHUNK):
                chunk = body[start : start + CHUNK]
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sock.sendall(b"0\r\n\r\n")
        response = b""
        with contextlib.suppress(ConnectionResetError):
            while data := sock.recv(65536):
                response += data
    return response


CHUNK = 64 * 1024


@pytest.fixture(scope="module")
def server(sqlite_server_factory: ServerFactory) -> Iterator[Server]:
    with sqlite_server_factory() as server:
        yield server


def _parse(raw: bytes) -> tuple[int, dict[str, Any]]:
    """Return the status and JSON body of a raw HTTP/1.1 response."""
    head, _, body = raw.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():
        chunks = b""
        while (size := int(body.partition(b"\r\n")[0], 16)) > 0:
            start = body.index(b"\r\n") + 2
            chunks += body[start : start + size]
            body = body[start + size + 2 :]
        body = chunks
    return int(head.split()[1]), json.loads(body)


def _signup_body(name: str, size: int) -> bytes:
    body = {"email": f"{name}@example.com", "username": name}
    body["password"] = STRONG_PASSWORD
    body["padding"] = "x" * max(0, size - 100)
    return _encode(body)


@pytest.mark.server
def test_chunked_body_without_content_length_is_read(server: Server) -> None:
    raw = _send_chunked(server, "/api/v1/auth/signup/", _signup_body("chunked", 100))
    status, payload = _parse(raw)

    assert status == HTTPStatus.CREATED, raw[:500]
    assert payload["user"]["username"] == "chunked"
    token = server.request(
        "POST",
        "/api/v1/auth/token/",
        body={"email": "chunked@example.com", "password": STRONG_PASSWORD},
    )
    assert token.status == HTTPStatus.OK, str(token)


@pytest.mark.server
def test_chunked_body_over_the_limit_is_a_413_and_changes_nothing(
    server: Server,
) -> None:
    body = _signup_body("chunkedbig", 1024 * 1024)
    raw = _send_chunked(server, "/api/v1/auth/signup/", body)
    status, payload = _parse(raw)

    assert status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE, raw[:500]
    assert payload["code"] == "request_too_large"
    assert set(payload) == {"detail", "code", "fields"}
    token = server.request(
        "POST",
        "/api/v1/auth/token/",
        body={"email": "chunkedbig@example.com", "password": STRONG_PASSWORD},
    )
    assert token.status == HTTPStatus.UNAUTHORIZED, str(token)
    assert server.request("GET", "/healthz/").status == HTTPStatus.OK
