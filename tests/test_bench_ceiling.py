"""The benchmark's ceiling serves exactly the bytes the project served."""

import importlib
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
BODY = b'{"count":1,"results":[{"title":"Am\xc3\xa9lie"}]}'


class _Project(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("ETag", '"abc"')
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def project_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Project)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _ceiling(monkeypatch: pytest.MonkeyPatch, response: Path | None) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))
    if response is None:
        monkeypatch.delenv("CEILING_RESPONSE", raising=False)
    else:
        monkeypatch.setenv("CEILING_RESPONSE", str(response))
    sys.modules.pop("ceiling", None)
    return importlib.import_module("ceiling")


def test_ceiling_serves_the_recorded_status_headers_and_bytes(
    project_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = _ceiling(monkeypatch, None)
    recorded = recorder.record(project_url, "GET", "/api/v1/movies/")
    path = recorded.save(tmp_path / "response.json")

    ceiling = _ceiling(monkeypatch, path)
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        started.append((status, headers))

    body = ceiling.app({"CONTENT_LENGTH": ""}, start_response)

    assert b"".join(body) == BODY
    status, headers = started[0]
    assert status == "200 OK"
    names = {name.lower(): value for name, value in headers}
    assert names["content-type"] == "application/json"
    assert names["etag"] == '"abc"'
    assert names["content-length"] == str(len(BODY))
    # gunicorn writes its own Date and Server, as it does for the project.
    assert "date" not in names
    assert "server" not in names
