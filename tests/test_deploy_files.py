"""The deployment files: image, compose stack, gunicorn, CI workflow, hooks.

No Docker engine runs here, so these tests check the files' structure and
validate them against the schemas vendored in check-jsonschema (no download).
tests/test_production_server.py runs what the image runs.
"""

import json
import os
import re
import runpy
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from gunicorn.config import Config

from tests.conftest import BIN, ROOT, Instruction, make_targets, read_yaml

# Any attempt to reach the network fails at once instead of downloading.
OFFLINE = {
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "",
    "no_proxy": "",
}
PATCH_TAG = re.compile(r"^\d+\.\d+\.\d+(?:-[a-z0-9.-]+)?$")
MINOR_TAG = re.compile(r"^\d+\.\d+(?:\.\d+)?(?:-[a-z0-9.-]+)?$")


def run_offline(
    *args: str | Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(arg) for arg in args],
        cwd=ROOT,
        env={**os.environ, **OFFLINE},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def image_tag(image: str) -> str:
    name, _, tag = image.partition("@")[0].rpartition(":")
    return tag if name else ""


def production_key_ok(key: str) -> bool:
    """Mirror the rule of movieratings/settings.py for production keys."""
    return len(key) >= 50 and not key.startswith("django-insecure")


# Schemas -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        ("docker-compose.yml", "vendor.compose-spec"),
        (".github/workflows/ci.yml", "vendor.github-workflows"),
    ],
)
def test_file_validates_against_vendored_schema(path: str, schema: str) -> None:
    result = run_offline(BIN / "check-jsonschema", "--builtin-schema", schema, path)

    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_an_invalid_compose_file(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(
        yaml.safe_dump(
            {"services": {"web": {"image": "x", "depends_on": {"db": {"when": 1}}}}}
        )
    )

    result = run_offline(
        BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", broken
    )

    assert result.returncode == 1, result.stdout + result.stderr


def test_pre_commit_config_is_valid() -> None:
    result = run_offline(
        BIN / "pre-commit", "validate-config", ".pre-commit-config.yaml"
    )

    assert result.returncode == 0, result.stdout + result.stderr


# Dockerfile ----------------------------------------------------------------


def _first(instructions: list[Instruction], keyword: str) -> int:
    return next(i for i, ins in enumerate(instructions) if ins.keyword == keyword)


def _exec_form(instruction: Instruction) -> list[str]:
    arguments = instruction.arguments
    if instruction.keyword == "HEALTHCHECK":
        arguments = arguments.partition("CMD ")[2]
    value = json.loads(arguments)
    assert isinstance(value, list), f"{instruction.keyword} is not in exec form"
    return [str(item) for item in value]


def test_dockerfile_base_image_is_pinned_to_a_patch_release(
    dockerfile: list[Instruction],
) -> None:
    images = [ins.arguments.split()[0] for ins in dockerfile if ins.keyword == "FROM"]

    assert images
    for image in images:
        assert image.startswith("python:3.11."), image
        assert PATCH_TAG.match(image_tag(image)), image
        assert "latest" not in image


def test_dockerfile_sets_python_runtime_environment(
    dockerfile: list[Instruction],
) -> None:
    env = " ".join(ins.arguments for ins in dockerfile if ins.keyword == "ENV")

    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert "PYTHONUNBUFFERED=1" in env


def test_dockerfile_installs_requirements_in_a_layer_before_the_source(
    dockerfile: list[Instruction],
) -> None:
    copies = [(i, ins.arguments.split()) for i, ins in enumerate(dockerfile)]
    requirements_copy = next(
        i
        for i, args in copies
        if dockerfile[i].keyword == "COPY" and args[0] == "requirements.txt"
    )
    install = next(
        i
        for i, ins in enumerate(dockerfile)
        if ins.keyword == "RUN" and "pip install" in ins.arguments
    )
    source_copy = next(
        i for i, args in copies if dockerfile[i].keyword == "COPY" and "." in args[:-1]
    )

    assert requirements_copy < install < source_copy
    assert "-r requirements.txt" in dockerfile[install].arguments
    assert "--no-cache-dir" in dockerfile[install].arguments


def test_dockerfile_collects_static_files_at_build_time_with_a_valid_key(
    dockerfile: list[Instruction],
) -> None:
    run = next(
        ins.arguments
        for ins in dockerfile
        if ins.keyword == "RUN" and "collectstatic" in ins.arguments
    )
    assignments = dict(
        word.split("=", 1) for word in shlex.split(run) if re.match(r"^[A-Z_]+=", word)
    )

    assert production_key_ok(assignments["DJANGO_SECRET_KEY"])
    # Set on the RUN line only, so the image does not carry it.
    env = " ".join(ins.arguments for ins in dockerfile if ins.keyword == "ENV")
    assert "DJANGO_SECRET_KEY" not in env


def test_dockerfile_runs_as_non_root_user_before_cmd(
    dockerfile: list[Instruction],
) -> None:
    cmd = _first(dockerfile, "CMD")
    users = [
        ins.arguments.split(":")[0] for ins in dockerfile[:cmd] if ins.keyword == "USER"
    ]

    assert users, "no USER before CMD"
    assert users[-1] not in {"root", "0"}


def test_dockerfile_exposes_8000_and_probes_healthz(
    dockerfile: list[Instruction],
) -> None:
    healthcheck = next(ins for ins in dockerfile if ins.keyword == "HEALTHCHECK")
    probe = _exec_form(healthcheck)

    assert any(
        ins.keyword == "EXPOSE" and ins.arguments == "8000" for ins in dockerfile
    )
    assert probe[0] == "python"
    assert "urllib.request" in probe[-1]
    assert "/healthz/" in probe[-1]


def test_dockerfile_serves_with_gunicorn_and_its_config(
    dockerfile: list[Instruction],
) -> None:
    cmd = _exec_form(dockerfile[_first(dockerfile, "CMD")])

    assert cmd[0] == "gunicorn"
    assert cmd[-1] == "movieratings.wsgi"
    assert "gunicorn.conf.py" in cmd
    assert not any(ins.keyword == "ENTRYPOINT" for ins in dockerfile)


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())

    assert {".env", ".git", ".venv", "*.sqlite3"} <= ignored


# docker-compose.yml --------------------------------------------------------


def test_compose_web_waits_for_healthy_database_and_redis(
    compose: dict[str, Any],
) -> None:
    depends_on = compose["services"]["web"]["depends_on"]

    assert depends_on == {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }


@pytest.mark.parametrize(
    ("service", "probe"), [("db", "pg_isready"), ("redis", "redis-cli")]
)
def test_compose_backing_service_is_pinned_with_healthcheck_and_named_volume(
    compose: dict[str, Any], service: str, probe: str
) -> None:
    definition = compose["services"][service]
    volumes = [volume.split(":")[0] for volume in definition["volumes"]]

    assert MINOR_TAG.match(image_tag(definition["image"])), definition["image"]
    assert probe in definition["healthcheck"]["test"]
    assert volumes
    assert all(volume in compose["volumes"] for volume in volumes)


def test_compose_web_runs_production_settings_with_a_valid_default_key(
    compose: dict[str, Any],
) -> None:
    environment = compose["services"]["web"]["environment"]
    secret = re.fullmatch(
        r"\$\{DJANGO_SECRET_KEY:-(.+)\}", environment["DJANGO_SECRET_KEY"]
    )

    assert environment["DJANGO_ENV"] == "production"
    assert secret is not None, "DJANGO_SECRET_KEY must be overridable"
    assert production_key_ok(secret.group(1))
    assert "@db:5432/" in environment["DATABASE_URL"]
    assert environment["REDIS_URL"].startswith("redis://redis:6379/")


def test_compose_web_migrates_and_loads_catalogue_before_exec_gunicorn(
    web_startup_script: str,
) -> None:
    lines = [line.strip() for line in web_startup_script.splitlines() if line.strip()]
    migrate = next(i for i, line in enumerate(lines) if "manage.py migrate" in line)
    loaddata = next(
        i for i, line in enumerate(lines) if "manage.py load_catalogue" in line
    )

    assert lines[0] == "set -e"
    assert migrate < loaddata < len(lines) - 1
    assert lines[-1] == "exec gunicorn -c gunicorn.conf.py movieratings.wsgi"


def test_compose_web_has_healthcheck_and_publishes_8000(
    compose: dict[str, Any],
) -> None:
    web = compose["services"]["web"]

    assert "/readyz/" in " ".join(web["healthcheck"]["test"])
    assert any(str(port).endswith("8000:8000") for port in web["ports"])


# gunicorn.conf.py ----------------------------------------------------------


@pytest.fixture
def clean_gunicorn_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith("GUNICORN_") or name in {"PORT", "FORWARDED_ALLOW_IPS"}:
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", "postgres://app@db:5432/movieratings")
    monkeypatch.setenv("REDIS_URL", "redis://redis:6379/0")
    return monkeypatch


def load_gunicorn_conf() -> dict[str, Any]:
    namespace = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    return {
        name: value
        for name, value in namespace.items()
        if not name.startswith("_")
        and not callable(value)
        and not hasattr(value, "__spec__")
    }


def test_gunicorn_conf_defaults(clean_gunicorn_env: pytest.MonkeyPatch) -> None:
    conf = load_gunicorn_conf()

    assert conf["bind"] == ["0.0.0.0:8000"]
    assert conf["workers"] == 2 * (os.cpu_count() or 1) + 1
    assert (conf["worker_class"], conf["threads"]) == ("sync", 1)
    assert conf["accesslog"] is None
    assert 0 < conf["graceful_timeout"] <= conf["timeout"]
    assert conf["max_requests"] == 0  # No recycling stalls under load.


@pytest.mark.parametrize(
    ("database_url", "redis_url"),
    [
        ("postgres://postgres@127.0.0.1:5432/movieratings", "redis://localhost:6379/0"),
        ("postgres://%2Fvar%2Frun%2Fpostgresql/movieratings", "unix:///run/redis.sock"),
        ("", "redis://[::1]:6379/0"),  # SQLite.
    ],
)
def test_gunicorn_conf_runs_fewer_workers_beside_its_services(
    clean_gunicorn_env: pytest.MonkeyPatch, database_url: str, redis_url: str
) -> None:
    # PostgreSQL and Redis on this machine take their CPU from the workers'.
    clean_gunicorn_env.setenv("DATABASE_URL", database_url)
    clean_gunicorn_env.setenv("REDIS_URL", redis_url)

    conf = load_gunicorn_conf()

    assert conf["workers"] == (os.cpu_count() or 1) + 1
    assert (conf["worker_class"], conf["threads"]) == ("sync", 1)


def test_gunicorn_conf_with_one_service_elsewhere_runs_more_workers(
    clean_gunicorn_env: pytest.MonkeyPatch,
) -> None:
    clean_gunicorn_env.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")

    assert load_gunicorn_conf()["workers"] == 2 * (os.cpu_count() or 1) + 1


def test_gunicorn_conf_without_a_shared_cache_runs_one_process(
    clean_gunicorn_env: pytest.MonkeyPatch,
) -> None:
    # Per-process caches would disagree after a write served by another one.
    clean_gunicorn_env.delenv("REDIS_URL")

    conf = load_gunicorn_conf()

    assert conf["workers"] == 1
    assert conf["threads"] == 2 * (os.cpu_count() or 1) + 1
    assert conf["worker_class"] == "gthread"


def test_gunicorn_conf_reads_the_environment(
    clean_gunicorn_env: pytest.MonkeyPatch,
) -> None:
    clean_gunicorn_env.setenv("PORT", "9001")
    clean_gunicorn_env.setenv("GUNICORN_WORKERS", "3")
    clean_gunicorn_env.setenv("GUNICORN_THREADS", "4")
    clean_gunicorn_env.setenv("FORWARDED_ALLOW_IPS", "10.0.0.0/8")

    conf = load_gunicorn_conf()

    assert conf["bind"] == ["0.0.0.0:9001"]
    assert (conf["workers"], conf["threads"]) == (3, 4)
    assert conf["worker_class"] == "gthread"  # Threads need the threaded worker.
    assert conf["forwarded_allow_ips"] == "10.0.0.0/8"


def test_gunicorn_conf_names_only_settings_gunicorn_knows(
    clean_gunicorn_env: pytest.MonkeyPatch,
) -> None:
    config = Config()

    for name, value in load_gunicorn_conf().items():
        assert name in config.settings, f"gunicorn has no setting {name!r}"
        config.set(name, value)  # gunicorn's own validation

    assert config.worker_class_str == "sync"


# CI workflow ----------------------------------------------------------------


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return read_yaml(".github/workflows/ci.yml")


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_workflow_runs_every_make_target_of_ci_run(workflow: dict[str, Any]) -> None:
    ci_run = make_targets((ROOT / ".ci" / "run").read_text())
    workflow_targets = make_targets(
        "\n".join(step.get("run", "") for step in _steps(workflow))
    )

    assert {"lint", "typecheck", "checks", "test"} <= ci_run
    assert ci_run <= workflow_targets


def test_workflow_runs_the_suite_on_postgres_and_redis_with_coverage(
    workflow: dict[str, Any],
) -> None:
    (job,) = workflow["jobs"].values()
    services = {
        name: service["image"].partition(":")[0]
        for name, service in job["services"].items()
    }
    on_services = [
        step for step in _steps(workflow) if "DATABASE_URL" in step.get("env", {})
    ]
    coverage_target = (ROOT / "Makefile").read_text().split("\ncoverage:", 1)[1]

    assert sorted(services.values()) == ["postgres", "redis"]
    assert all(
        "--health-cmd" in service["options"] for service in job["services"].values()
    )
    assert [make_targets(step["run"]) for step in on_services] == [{"coverage"}]
    assert "REDIS_URL" in on_services[0]["env"]
    assert "--cov-fail-under=90" in coverage_target.split("\n\n", 1)[0]


def test_workflow_uploads_coverage_and_audits_dependencies(
    workflow: dict[str, Any],
) -> None:
    steps = _steps(workflow)
    uploads = [
        s
        for s in steps
        if str(s.get("uses", "")).startswith("actions/upload-artifact@")
    ]
    runs = "\n".join(step.get("run", "") for step in steps)

    assert [upload["with"]["path"] for upload in uploads] == ["coverage.xml"]
    assert "pip-audit" in runs
    assert "playwright install" in runs


def test_workflow_and_ci_run_check_the_generated_clients(
    workflow: dict[str, Any],
) -> None:
    runs = "\n".join(step.get("run", "") for step in _steps(workflow))

    assert "clients/check --live" in runs
    assert "clients/check --live" in (ROOT / ".ci" / "run").read_text()


def test_workflow_sets_up_python_311_with_pip_cache(workflow: dict[str, Any]) -> None:
    setup = next(
        step
        for step in _steps(workflow)
        if str(step.get("uses", "")).startswith("actions/setup-python@")
    )

    assert setup["with"]["python-version"] == "3.11"
    assert setup["with"]["cache"] == "pip"


# pre-commit ----------------------------------------------------------------


def test_pre_commit_runs_ruff_and_django_upgrade() -> None:
    config = read_yaml(".pre-commit-config.yaml")
    hooks = {
        hook["id"]: (repo["rev"], hook.get("args", []))
        for repo in config["repos"]
        for hook in repo["hooks"]
    }
    ruff_pin = re.search(
        r"^ruff==(\S+)$", (ROOT / "requirements-dev.txt").read_text(), re.MULTILINE
    )

    assert {"ruff-check", "ruff-format", "django-upgrade"} <= hooks.keys()
    assert "--fix" in hooks["ruff-check"][1]
    assert hooks["django-upgrade"][1] == ["--target-version", "5.2"]
    assert ruff_pin is not None
    assert hooks["ruff-check"][0] == f"v{ruff_pin.group(1)}"
    assert {
        "trailing-whitespace",
        "end-of-file-fixer",
        "check-yaml",
        "check-toml",
        "check-merge-conflict",
    } <= hooks.keys()
