"""The production server path, as the container runs it, on this machine.

No Docker engine runs here, so the module does what the image and the compose
stack do, from their own files: the compose start-up script (migrate, seed the
catalogue), the Dockerfile's collectstatic step, then gunicorn with the
Dockerfile's CMD and production settings, on a free loopback port. The server
gets its own SQLite file so that it never shares the suite's test database.
"""

import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import yaml

from movieratings.testing import HttpResponse, Server, Stack, free_port, run_command
from tests.conftest import Instruction

pytestmark = pytest.mark.server

# What a deployment sets beside the stack's own (secret key, database, cache
# prefix): production settings and throttles as they ship, JSON logs at INFO.
DEPLOYMENT_ENV = {
    "DJANGO_SETTINGS_MODULE": "movieratings.settings",
    "DJANGO_DEBUG": "0",
    "DJANGO_ALLOWED_HOSTS": "movieratings.test,127.0.0.1",
    "LOG_FORMAT": "json",
    "LOG_LEVEL": "INFO",
    "GUNICORN_WORKERS": "2",
}


def run(
    args: list[str], env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    result = run_command(args, env=env, timeout=timeout)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


def get(
    server: Server, path: str, headers: dict[str, str] | None = None
) -> HttpResponse:
    """GET ``path`` as a client that accepts anything (no JSON preference)."""
    return server.request("GET", path, headers={"Accept": "*/*", **(headers or {})})


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


@pytest.fixture(scope="module")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    dockerfile: list[Instruction],
    web_startup_script: str,
) -> Iterator[Stack]:
    """Return a deployment on its own SQLite file, set up as the compose stack
    and the image do; only Redis is shared when the suite has it."""
    directory = tmp_path_factory.mktemp("production")
    with Stack(
        directory,
        database_url=f"sqlite:///{directory / 'db.sqlite3'}",
        redis_url=os.environ.get("REDIS_URL", ""),
        env=DEPLOYMENT_ENV,
        throttled=True,
    ) as deployment:
        run(["sh", "-c", startup_commands(web_startup_script)], deployment.env)
        collectstatic = next(
            ins.arguments
            for ins in dockerfile
            if ins.keyword == "RUN" and "collectstatic" in ins.arguments
        )
        run(["sh", "-c", collectstatic], deployment.env)
        yield deployment


@pytest.fixture(scope="module")
def server(stack: Stack, dockerfile: list[Instruction]) -> Iterator[Server]:
    """Return gunicorn started with the Dockerfile's CMD, on a free port."""
    cmd = exec_form(next(ins for ins in dockerfile if ins.keyword == "CMD"))
    with stack.server(command=cmd[:-1], app=cmd[-1]) as started:
        yield started


def manage_py_shell(stack: Stack, code: str) -> str:
    return stack.manage("shell", "--verbosity", "0", "-c", code).strip()


def test_probes_answer_200(server: Server) -> None:
    health = get(server, "/healthz/")
    ready = get(server, "/readyz/")

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
    page = get(server, "/api/docs/")
    assets = _Assets()
    assets.feed(page.body.decode())

    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert len(assets.urls) >= 3  # the bundle, the preset and the stylesheet
    for url in assets.urls:
        parts = urlsplit(url)
        assert (parts.scheme, parts.netloc) == ("", ""), f"external asset {url}"
        asset = get(server, url)
        assert asset.status == 200, url
        assert asset.body, url


def test_openapi_schema_is_served(server: Server) -> None:
    reply = get(server, "/api/schema/")
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
    reply = get(server, path, headers)

    assert reply.status == status
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    assert isinstance(body, dict)
    assert set(body) == {"detail", "code", "fields"}
    assert b"Traceback" not in reply.body
    assert b"DEBUG" not in reply.body


def test_each_request_is_logged_once_as_a_json_line(server: Server) -> None:
    request_id = f"deploy-test-{secrets.token_hex(8)}"
    get(server, "/healthz/", {"X-Request-ID": request_id})

    # Bounded wait: the worker writes the line as it answers.
    deadline = time.monotonic() + 10
    while request_id not in (text := server.log_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    lines = [line for line in text.splitlines() if request_id in line]

    assert len(lines) == 1, text  # gunicorn's access log is off
    entry = json.loads(lines[0])
    assert (entry["path"], entry["status"]) == ("/healthz/", 200)


def test_docker_healthcheck_command_passes_only_against_a_live_server(
    server: Server, dockerfile: list[Instruction]
) -> None:
    probe = exec_form(next(ins for ins in dockerfile if ins.keyword == "HEALTHCHECK"))
    live = subprocess.run(
        probe, env=server.env, capture_output=True, timeout=30, check=False
    )
    dead = subprocess.run(
        probe,
        env={**server.env, "PORT": str(free_port())},
        capture_output=True,
        timeout=30,
        check=False,
    )

    assert live.returncode == 0, live.stderr
    assert dead.returncode != 0


def test_compose_restart_keeps_the_catalogue_and_its_rating_aggregates(
    stack: Stack, server: Server, web_startup_script: str
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
    movies_before = manage_py_shell(stack, rate)

    run(["sh", "-c", startup_commands(web_startup_script)], stack.env)

    assert int(movies_before) > 0
    assert manage_py_shell(stack, read) == f"{movies_before} 1 4.0"
