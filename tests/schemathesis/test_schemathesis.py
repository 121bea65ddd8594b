"""schemathesis against the schema of a real production server on PostgreSQL.

One module-wide server (gunicorn, production settings, a scratch database
with the movie catalogue, throttles and sign-in lockout lifted) is fuzzed
twice: as a basic user, then as an admin. Each run has every check and every
phase (examples, coverage, fuzzing, stateful); the test asserts that neither
finds anything and that the server logged no error. No operation is excluded:
sign-out and password changes cannot revoke the runs' access tokens, and the
hooks replace a basic account that the fuzzer deletes (see hooks.py). The few
per-operation settings are in schemathesis.toml, each with its reason.

The CLI output and JUnit report of each run are kept in
``artifacts/schemathesis/`` (with the server's log when a run fails).
"""

import os
import shutil
import time
from collections.abc import Iterator

import pytest

from .fuzzing import ARTIFACTS, Target, fuzz_target, run_schemathesis

pytestmark = [pytest.mark.server, pytest.mark.postgres]

# Fixed, so that a failure reproduces (`st run ... --seed`). CI runs several
# seeds (SCHEMATHESIS_SEEDS=a,b,c in .ci/run); a local run one.
SEED = 20261128
SEEDS = [
    int(seed)
    for seed in os.environ.get("SCHEMATHESIS_SEEDS", str(SEED)).split(",")
    if seed.strip()
]
# Test cases per operation and phase: both runs together take about three
# minutes on a 2-core machine.
MAX_EXAMPLES = 20
# Every operation of the schema is fuzzed (API.md lists 37).
MIN_OPERATIONS = 37


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with fuzz_target(tmp_path_factory.mktemp("schemathesis")) as running:
        yield running


def test_schemathesis_finds_no_failure_as_basic_user_or_admin(target: Target) -> None:
    started = time.monotonic()
    results = []
    for seed in SEEDS:
        # Each seed fuzzes as accounts that no earlier run has changed.
        basic, admin = target.fresh_accounts(str(seed))
        for label, account in (("basic", basic), ("admin", admin)):
            results.append(
                run_schemathesis(
                    label=label if len(SEEDS) == 1 else f"{label}-{seed}",
                    base_url=target.base_url,
                    account=account,
                    seed=seed,
                    max_examples=MAX_EXAMPLES,
                )
            )
    server_errors = target.server_errors()
    summary = [result.summary() for result in results]
    summary.append(
        f"total: {sum(result.generated for result in results)} test cases "
        f"generated in {time.monotonic() - started:.0f}s (seeds "
        f"{', '.join(map(str, SEEDS))}, "
        f"max examples {MAX_EXAMPLES})"
    )
    (ARTIFACTS / "summary.txt").write_text("\n".join(summary) + "\n")
    print("\n" + "\n".join(summary))  # noqa: T201 (the figures CI logs show)
    clean = all(
        result.returncode == 0 and not result.failures and not result.errors
        for result in results
    )
    if not clean or server_errors:
        shutil.copyfile(target.server.log_path, ARTIFACTS / "gunicorn.log")

    for result in results:
        assert result.failures == [], result.output[-20000:]
        assert result.errors == [], result.output[-20000:]
        assert result.returncode == 0, result.output[-20000:]
        assert result.operations >= MIN_OPERATIONS, result.output[-5000:]
        assert result.generated > 0, result.output[-5000:]
    assert server_errors == []
