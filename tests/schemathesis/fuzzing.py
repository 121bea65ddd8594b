"""The server that schemathesis fuzzes, and the schemathesis runs against it.

``fuzz_target`` serves a scratch PostgreSQL database with the movie catalogue
from a production server (``movieratings.testing``: gunicorn, its own keys in
Redis, throttles lifted), with sign-in lock-out lifted too, so that it never
touches the suite's test database or another run's data; ``Target`` creates
and signs in the accounts each run fuzzes as. ``run_schemathesis`` runs the
schemathesis CLI against the server's ``/api/schema/`` and reads its JUnit
report.
"""

import os
import re
import secrets
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from movieratings import testing

CONFIG_FILE = Path(__file__).with_name("schemathesis.toml")
# The CLI output and JUnit report of each run (and a summary, and the
# server's log when a run fails).
ARTIFACTS = testing.ROOT / "artifacts" / "schemathesis"
HOOKS_MODULE = "tests.schemathesis.hooks"
# Generous for the catalogue's 2-core CI machine; a run never needs them.
SCHEMATHESIS_SECONDS = 600.0
# The fuzzer fails sign-ins on purpose: no lock-out. Its tokens outlive the
# run: an expired one would turn the fuzzing into 401s.
_FUZZ_ENV = {
    "LOGIN_MAX_FAILURES_PER_ACCOUNT": "1000000",
    "LOGIN_MAX_FAILURES_PER_CLIENT": "1000000",
    "JWT_ACCESS_TOKEN_MINUTES": "120",
}
PASSWORD = "fuzz-" + secrets.token_urlsafe(12)


@dataclass
class Account:
    email: str
    password: str
    # A basic account, which the hooks replace by a new sign-up once the
    # fuzzer has deleted it.
    replaceable: bool = False
    id: int = 0
    access: str = ""


@dataclass
class Target:
    """The fuzzed server and the stack it runs in."""

    production: testing.Stack
    server: testing.Server

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def fresh_accounts(self, name: str) -> tuple[Account, Account]:
        """Create, sign in and return a new (basic, admin) pair for one run.

        A run changes its accounts (password, email, sign-outs); the next run's
        hooks start from the credentials they are given, so each run gets
        accounts no run has touched.
        """
        basic = Account(f"fuzz-basic-{name}@example.com", PASSWORD, replaceable=True)
        admin = Account(f"fuzz-admin-{name}@example.com", PASSWORD)
        self.production.manage(
            "createsuperuser",
            "--no-input",
            env={
                "DJANGO_SUPERUSER_EMAIL": admin.email,
                "DJANGO_SUPERUSER_USERNAME": f"fuzz-admin-{name}",
                "DJANGO_SUPERUSER_PASSWORD": admin.password,
            },
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
        return [
            line
            for line in self.server.log_text().splitlines()
            if '"level": "ERROR"' in line or "Traceback" in line
        ]


@contextmanager
def fuzz_target(workdir: Path) -> Iterator[Target]:
    """Serve the catalogue on a scratch database of ``DATABASE_URL``'s server."""
    with (
        testing.ScratchDatabase(os.environ["DATABASE_URL"], "schemathesis") as db,
        testing.Stack(
            workdir,
            database_url=db.url,
            redis_url=os.environ.get("REDIS_URL", ""),
            env=_FUZZ_ENV,
        ) as production,
    ):
        production.manage("migrate", "--no-input")
        production.manage("load_catalogue")
        with production.server(testing.Layout(2, 4, "gthread")) as server:
            yield Target(production, server)


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
    seed: int,
    max_examples: int,
    extra_args: Sequence[str] = (),
) -> RunResult:
    """Run ``st run`` against ``base_url`` as ``account`` (see hooks.py); keep
    its output and report in ``ARTIFACTS``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    junit = ARTIFACTS / f"{label}.junit.xml"
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
        "FUZZ_SIGNUP": "1" if account.replaceable else "0",
    }
    started = time.monotonic()
    completed = testing.run_command(command, env=env, timeout=SCHEMATHESIS_SECONDS)
    output = completed.stdout + completed.stderr
    (ARTIFACTS / f"{label}.txt").write_text(output)
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
