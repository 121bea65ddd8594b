"""A production server on a scratch PostgreSQL database, fuzzed by schemathesis.

``Stack`` creates its own database (and its own keys in Redis database
``REDIS_DB``), migrates it, loads the movie catalogue, creates an admin and a
basic user, and serves it with gunicorn in production mode, so that it never
touches the suite's test database or another run's data. ``run_schemathesis``
runs the schemathesis CLI against the server's ``/api/schema/`` and reads its
JUnit report.
"""

import contextlib
import os
import re
import secrets
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from tests.hardening.server import REPO_ROOT, Server, manage, production_env

SCRATCH_PREFIX = "movieratings_st_"
REDIS_DB = 12
CONFIG_FILE = Path(__file__).with_name("schemathesis.toml")
HOOKS_MODULE = "tests.schemathesis.hooks"
# Generous for the catalogue's 2-core CI machine; a run never needs them.
SCHEMATHESIS_SECONDS = 600.0
# Limits lifted for the fuzzer: it sends thousands of requests a minute, and
# fails sign-ins on purpose.
_UNTHROTTLED = "1000000/min"
_NO_LOCKOUT = "1000000"
PASSWORD = "fuzz-" + secrets.token_urlsafe(12)


def _database_url(settings_db: dict[str, Any], name: str) -> str:
    """Return a ``postgres://`` URL of database ``name`` on the suite's server."""
    user = quote(str(settings_db.get("USER") or ""), safe="")
    password = quote(str(settings_db.get("PASSWORD") or ""), safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_db.get("HOST") or "127.0.0.1"
    port = settings_db.get("PORT") or 5432
    return f"postgres://{credentials}{host}:{port}/{name}"


def _redis_url(base: str) -> str:
    """Return ``base`` pointing at database ``REDIS_DB`` of the same server."""
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{REDIS_DB}"))


@dataclass
class Account:
    email: str
    password: str
    id: int = 0
    access: str = ""


@dataclass
class Stack:
    """A migrated scratch database with data, served by a production gunicorn."""

    settings_db: dict[str, Any]
    redis_base_url: str
    workdir: Path
    database: str = field(default_factory=lambda: SCRATCH_PREFIX + secrets.token_hex(4))
    cache_prefix: str = field(default_factory=lambda: "st-" + secrets.token_hex(4))
    server: Server | None = None
    admin: Account = field(
        default_factory=lambda: Account("fuzz-admin@example.com", PASSWORD)
    )
    basic: Account = field(
        default_factory=lambda: Account("fuzz-basic@example.com", PASSWORD)
    )

    def __enter__(self) -> Self:
        self._create_database()
        try:
            self._prepare_and_serve()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}"

    def _maintenance_connection(self) -> psycopg.Connection[Any]:
        """Connect to the server's ``postgres`` database, as Django does to
        create test databases (the configured one may not exist yet)."""
        db = self.settings_db
        options: dict[str, Any] = {
            "host": db.get("HOST") or "127.0.0.1",
            "port": db.get("PORT") or 5432,
            "user": db.get("USER") or None,
            "password": db.get("PASSWORD") or None,
            "autocommit": True,
            "connect_timeout": 5,
        }
        try:
            return psycopg.connect(dbname="postgres", **options)
        except psycopg.OperationalError:
            return psycopg.connect(dbname=db["NAME"], **options)

    def _create_database(self) -> None:
        with self._maintenance_connection() as connection:
            connection.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database))
            )

    def _drop_database(self) -> None:
        with self._maintenance_connection() as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(self.database)
                )
            )

    def server_env(self) -> dict[str, str]:
        static_root = self.workdir / "static"
        static_root.mkdir(exist_ok=True)
        env = production_env(
            static_root,
            DATABASE_URL=_database_url(self.settings_db, self.database),
            CACHE_KEY_PREFIX=self.cache_prefix,
            THROTTLE_ANON=_UNTHROTTLED,
            THROTTLE_USER=_UNTHROTTLED,
            THROTTLE_SIGNUP=_UNTHROTTLED,
            THROTTLE_LOGIN=_UNTHROTTLED,
            THROTTLE_RATING_WRITE=_UNTHROTTLED,
            LOGIN_MAX_FAILURES_PER_ACCOUNT=_NO_LOCKOUT,
            LOGIN_MAX_FAILURES_PER_CLIENT=_NO_LOCKOUT,
            # Outlive the run: an expired token would turn the fuzzing into 401s.
            JWT_ACCESS_TOKEN_MINUTES="120",
        )
        if self.redis_base_url:
            env["REDIS_URL"] = _redis_url(self.redis_base_url)
        return env

    def _prepare_and_serve(self) -> None:
        env = self.server_env()
        manage(env, "migrate", "--no-input")
        manage(env, "load_catalogue")
        manage(
            {
                **env,
                "DJANGO_SUPERUSER_EMAIL": self.admin.email,
                "DJANGO_SUPERUSER_USERNAME": "fuzz-admin",
                "DJANGO_SUPERUSER_PASSWORD": self.admin.password,
            },
            "createsuperuser",
            "--no-input",
        )
        self.server = Server(
            env=env, log_path=self.workdir / "gunicorn.log", workers=2, threads=4
        )
        self.server.start()
        signup = self.server.request(
            "POST",
            "/api/v1/auth/signup/",
            body={
                "email": self.basic.email,
                "username": "fuzz-basic",
                "password": self.basic.password,
            },
        )
        if signup.status != 201:
            raise RuntimeError(f"sign-up of the basic user failed: {signup}")
        for account in (self.admin, self.basic):
            self.sign_in(account)

    def fresh_accounts(self, name: str) -> tuple[Account, Account]:
        """Create, sign in and return a new (basic, admin) pair for one run.

        A run changes its accounts (password, email, sign-outs); the next run's
        hooks start from the credentials they are given, so each run after the
        first gets accounts no run has touched.
        """
        assert self.server is not None
        basic = Account(f"fuzz-basic-{name}@example.com", PASSWORD)
        admin = Account(f"fuzz-admin-{name}@example.com", PASSWORD)
        manage(
            {
                **self.server_env(),
                "DJANGO_SUPERUSER_EMAIL": admin.email,
                "DJANGO_SUPERUSER_USERNAME": f"fuzz-admin-{name}",
                "DJANGO_SUPERUSER_PASSWORD": admin.password,
            },
            "createsuperuser",
            "--no-input",
        )
        signup = self.server.request(
            "POST",
            "/api/v1/auth/signup/",
            body={
                "email": basic.email,
                "username": f"fuzz-basic-{name}",
                "password": basic.password,
            },
        )
        if signup.status != 201:
            raise RuntimeError(f"sign-up of {basic.email} failed: {signup}")
        for account in (basic, admin):
            self.sign_in(account)
        return basic, admin

    def sign_in(self, account: Account) -> None:
        """Give ``account`` a fresh access token (and its id)."""
        assert self.server is not None
        token = self.server.request(
            "POST",
            "/api/v1/auth/token/",
            body={"email": account.email, "password": account.password},
        )
        if token.status != 200:
            raise RuntimeError(f"sign-in of {account.email} failed: {token}")
        account.access = token.json()["access"]
        me = self.server.request("GET", "/api/v1/users/me/", token=account.access)
        if me.status != 200:
            raise RuntimeError(f"users/me of {account.email} failed: {me}")
        account.id = int(me.json()["id"])

    def server_errors(self) -> list[str]:
        """Return the lines of the server's log that report a 5xx or a traceback."""
        assert self.server is not None
        text = self.server.log_tail(chars=10_000_000)
        return [
            line
            for line in text.splitlines()
            if '"level": "ERROR"' in line or "Traceback" in line
        ]

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
        with contextlib.suppress(psycopg.Error):
            self._drop_database()
        if self.redis_base_url:
            self._delete_cache_keys()

    def _delete_cache_keys(self) -> None:
        import redis

        client = redis.Redis.from_url(_redis_url(self.redis_base_url))
        with contextlib.suppress(redis.RedisError):
            keys = list(client.scan_iter(f"{self.cache_prefix}:*", count=1000))
            if keys:
                client.delete(*keys)
        client.close()


@dataclass
class RunResult:
    """What one schemathesis run did, read from its JUnit report and output."""

    label: str
    returncode: int
    output: str
    seconds: float
    operations: int = 0
    failures: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    generated: int = 0

    def summary(self) -> str:
        return (
            f"{self.label}: {self.generated} test cases generated over "
            f"{self.operations} operations, {len(self.failures)} failures, "
            f"{len(self.errors)} errors, {self.seconds:.0f}s"
        )


_GENERATED = re.compile(r"(\d+)\s+generated")


def _read_junit(path: Path, result: RunResult) -> None:
    root = ET.parse(path).getroot()  # noqa: S314 (our own report)
    for case in root.iter("testcase"):
        result.operations += 1
        name = case.get("name", "?")
        for failure in case.findall("failure"):
            result.failures.append(f"{name}: {failure.get('message') or failure.text}")
        for error in case.findall("error"):
            result.errors.append(f"{name}: {error.get('message') or error.text}")


def run_schemathesis(
    *,
    label: str,
    base_url: str,
    account: Account,
    replaceable: bool,
    report_dir: Path,
    seed: int,
    max_examples: int,
    extra_args: Sequence[str] = (),
) -> RunResult:
    """Run ``st run`` against ``base_url`` as ``account`` (see hooks.py).

    ``replaceable``: the account is a basic one that the hooks replace by a new
    sign-up once the fuzzer has deleted it.
    """
    report_dir.mkdir(parents=True, exist_ok=True)
    junit = report_dir / f"{label}.junit.xml"
    junit.unlink(missing_ok=True)  # Never read a previous run's report.
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG_FILE),
        "run",
        f"{base_url}/api/schema/",
        "--url",
        base_url,
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(max_examples),
        "--seed",
        str(seed),
        "--request-timeout",
        "20",
        "--workers",
        "2",
        "--continue-on-failure",
        "--generation-database",
        "none",
        "--no-color",
        "--report",
        "junit",
        "--report-junit-path",
        str(junit),
        *extra_args,
    ]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": HOOKS_MODULE,
        "FUZZ_BASE_URL": base_url,
        "FUZZ_EMAIL": account.email,
        "FUZZ_PASSWORD": account.password,
        "FUZZ_ACCESS": account.access,
        "FUZZ_SIGNUP": "1" if replaceable else "0",
    }
    started = time.monotonic()
    completed = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=SCHEMATHESIS_SECONDS,
        check=False,
    )
    output = completed.stdout + completed.stderr
    (report_dir / f"{label}.txt").write_text(output)
    result = RunResult(
        label=label,
        returncode=completed.returncode,
        output=output,
        seconds=time.monotonic() - started,
    )
    if junit.exists():
        _read_junit(junit, result)
    generated = _GENERATED.findall(output)
    result.generated = int(generated[-1]) if generated else 0
    return result
