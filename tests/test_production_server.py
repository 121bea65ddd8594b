"""The production server path, as the container runs it, on this machine.

No Docker engine runs here, so the module does what the image and the compose
stack do, from their own files: the compose start-up script (migrate, seed the
catalogue), the Dockerfile's collectstatic step, then gunicorn with the
Dockerfile's CMD and production settings, on a free loopback port. The server
gets its own SQLite file so that it never shares the suite's test database.
"""

import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.conftest import BIN, ROOT, Instruction

pytestmark = pytest.mark.server

STARTUP_TIMEOUT = 120.0
SERVER_ALLOWED_HOSTS = "movieratings.test,127.0.0.1"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


@dataclass
class Server:
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Reply:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return Reply(
                response.status,
                {name.lower(): value for name, value in response.getheaders()},
                response.read(),
            )
        finally:
            connection.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(
    args: list[str], env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        args,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


def production_env(directory: Path) -> dict[str, str]:
    """Return the environment of a production deployment, local to this test.

    Built from scratch, so that nothing of the suite's own configuration (its
    database, DJANGO_ENV=test, coverage hooks) reaches the server; only Redis
    is shared when the suite has it, under a key prefix of its own.
    """
    inherited = ("HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "REDIS_URL")
    env = {name: os.environ[name] for name in inherited if name in os.environ}
    env.update(
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="movieratings.settings",
        DJANGO_ENV="production",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(45),  # 60 characters
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_ALLOWED_HOSTS=SERVER_ALLOWED_HOSTS,
        DJANGO_STATIC_ROOT=str(directory / "static"),
        DATABASE_URL=f"sqlite:///{directory / 'db.sqlite3'}",
        CACHE_KEY_PREFIX=f"movieratings-server-test-{secrets.token_hex(4)}",
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        GUNICORN_WORKERS="2",
    )
    return env


def startup_commands(web_startup_script: str) -> str:
    """Return the compose start-up script without its final exec of gunicorn."""
    lines = web_startup_script.rstrip().splitlines()
    assert lines[-1].startswith("exec gunicorn"), lines[-1]
    return "\n".join(lines[:-1])


def exec_form(instruction: Instruction) -> list[str]:
    arguments = instruction.arguments
    if instruction.keyword == "HEALTHCHECK":
        arguments = arguments.partition("CMD ")[2]
    return [str(item) for item in json.loads(arguments)]


def manage_py_shell(env: dict[str, str], code: str) -> str:
    return run(
        [str(BIN / "python"), "manage.py", "shell", "--verbosity", "0", "-c", code],
        env,
    ).stdout.strip()


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn gracefully, and its whole process group if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    dockerfile: list[Instruction],
    web_startup_script: str,
) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("production")
    env = production_env(directory)
    run(["sh", "-c", startup_commands(web_startup_script)], env)
    collectstatic = next(
        ins.arguments
        for ins in dockerfile
        if ins.keyword == "RUN" and "collectstatic" in ins.arguments
    )
    run(["sh", "-c", collectstatic], env)

    port = free_port()
    cmd = exec_form(next(ins for ins in dockerfile if ins.keyword == "CMD"))
    log = directory / "server.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*cmd[:-1], "--bind", f"127.0.0.1:{port}", cmd[-1]],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, for stop()
        )
    started = Server(port=port, env=env, log=log, process=process)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if started.get("/healthz/").status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield started
    finally:
        stop(process)


def test_probes_answer_200(server: Server) -> None:
    health = server.get("/healthz/")
    ready = server.get("/readyz/")

    assert (health.status, health.json()) == (200, {"status": "ok"})
    assert ready.status == 200, ready.body


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href"}.get(tag)
        self.urls += [value for name, value in attrs if name == wanted and value]


def test_swagger_ui_loads_every_asset_from_the_server_itself(server: Server) -> None:
    page = server.get("/api/docs/")
    assets = _Assets()
    assets.feed(page.body.decode())

    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert len(assets.urls) >= 3  # the bundle, the preset and the stylesheet
    for url in assets.urls:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", ""), f"external asset {url}"
        asset = server.get(url)
        assert asset.status == 200, url
        assert asset.body, url


def test_openapi_schema_is_served(server: Server) -> None:
    reply = server.get("/api/schema/")
    schema = yaml.safe_load(reply.body)

    assert reply.status == 200
    assert schema["openapi"].startswith("3.")
    assert any(path.startswith("/api/v1/") for path in schema["paths"])


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/no-such-page/", {}, 404),
        ("/api/v1/no-such-endpoint/", {}, 404),
        ("/healthz/", {"Host": "attacker.example"}, 400),
    ],
)
def test_errors_are_json_without_debug_pages(
    server: Server, path: str, headers: dict[str, str], status: int
) -> None:
    reply = server.get(path, headers)

    assert reply.status == status
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    assert isinstance(body, dict)
    assert set(body) == {"detail", "code", "fields"}
    assert b"Traceback" not in reply.body
    assert b"DEBUG" not in reply.body


def test_each_request_is_logged_once_as_a_json_line(server: Server) -> None:
    request_id = f"deploy-test-{secrets.token_hex(8)}"
    server.get("/healthz/", {"X-Request-ID": request_id})

    # Bounded wait: the worker writes the line as it answers.
    deadline = time.monotonic() + 10
    while (
        request_id not in (text := server.log.read_text())
        and time.monotonic() < deadline
    ):
        time.sleep(0.1)
    lines = [line for line in text.splitlines() if request_id in line]

    assert len(lines) == 1, text  # gunicorn's access log is off
    entry = json.loads(lines[0])
    assert (entry["path"], entry["status"]) == ("/healthz/", 200)


def test_docker_healthcheck_command_passes_only_against_a_live_server(
    server: Server, dockerfile: list[Instruction]
) -> None:
    probe = exec_form(next(ins for ins in dockerfile if ins.keyword == "HEALTHCHECK"))
    env = {**server.env, "PORT": str(server.port)}

    live = subprocess.run(probe, env=env, capture_output=True, timeout=30, check=False)
    dead = subprocess.run(
        probe,
        env={**env, "PORT": str(free_port())},
        capture_output=True,
        timeout=30,
        check=False,
    )

    assert live.returncode == 0, live.stderr
    assert dead.returncode != 0


def test_compose_restart_keeps_the_catalogue_and_its_rating_aggregates(
    server: Server, web_startup_script: str
) -> None:
    rate = (
        "from decimal import Decimal\n"
        "from movies.models import Movie\n"
        "from ratings.services import rating_upsert\n"
        "from users.models import User\n"
        "user = User.objects.create_user(email='restart@example.com', "
        "username='restart', password='x-Restart-Password-1')\n"
        "movie = Movie.objects.order_by('id').first()\n"
        "rating_upsert(user=user, movie_id=movie.pk, score=Decimal('4.0'))\n"
        "print(Movie.objects.count())"
    )
    read = (
        "from movies.models import Movie\n"
        "movie = Movie.objects.order_by('id').first()\n"
        "print(Movie.objects.count(), movie.rating_count, movie.rating_sum)"
    )
    movies_before = manage_py_shell(server.env, rate)

    run(["sh", "-c", startup_commands(web_startup_script)], server.env)

    assert int(movies_before) > 0
    assert manage_py_shell(server.env, read) == f"{movies_before} 1 4.0"
