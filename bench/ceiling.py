"""The ceiling: a bare WSGI app that serves one recorded response.

For each endpoint the benchmark records the response the project gave (status,
headers and body bytes), serves exactly those bytes from this app in the same
gunicorn layout (the same gunicorn.conf.py, workers, threads and worker class)
and drives it with the same wrk command right after the project's own run.
Its requests/s is what gunicorn, the kernel and wrk allow on this machine for
that response; the project's requests/s divided by it is the figure that
counts on a noisy machine, since both are measured within seconds of each
other.

No Django, no database and no routing here: any request gets the recorded
response. ``CEILING_RESPONSE`` names the JSON file written by ``record()``.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# Headers gunicorn writes itself, or that describe the connection, not the
# response: the ceiling's gunicorn adds its own, as the project's does.
_HOP_BY_HOP = {
    "connection",
    "content-length",
    "date",
    "keep-alive",
    "server",
    "transfer-encoding",
}


@dataclass(frozen=True)
class Recorded:
    status: str
    headers: list[tuple[str, str]]
    body: bytes

    def save(self, path: Path) -> Path:
        path.write_text(
            json.dumps(
                {
                    "status": self.status,
                    "headers": self.headers,
                    "body": base64.b64encode(self.body).decode(),
                }
            )
        )
        return path

    @classmethod
    def load(cls, path: Path) -> Recorded:
        data = json.loads(path.read_text())
        return cls(
            status=data["status"],
            headers=[(str(k), str(v)) for k, v in data["headers"]],
            body=base64.b64decode(data["body"]),
        )


def record(
    base_url: str,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Recorded:
    """Send one request to the project and return its response as served."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(
        parts.hostname or "127.0.0.1", parts.port, timeout=30
    )
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        payload = response.read()
        kept = [
            (name, value)
            for name, value in response.getheaders()
            if name.lower() not in _HOP_BY_HOP
        ]
        kept.append(("Content-Length", str(len(payload))))
        return Recorded(f"{response.status} {response.reason}", kept, payload)
    finally:
        connection.close()


StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def _make_app() -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    recorded = Recorded.load(Path(os.environ["CEILING_RESPONSE"]))
    status, headers, body = recorded.status, recorded.headers, [recorded.body]

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        # Read (and drop) a request body, as any server must on keep-alive.
        length = environ.get("CONTENT_LENGTH")
        if length:
            environ["wsgi.input"].read(int(length))
        start_response(status, headers)
        return body

    return app


if "CEILING_RESPONSE" in os.environ:
    app = _make_app()
