"""Benchmark movieratings as it runs in production and print the figures.

    python bench/run.py                          # MovieLens (~100k ratings)
    python bench/run.py --ratings 1000000        # topped up with synthetic data
    python bench/run.py --compare 100000,1000000 # read endpoints at both sizes
    python bench/run.py --layouts 2x2,3x2,5x2,sync:5 --endpoints catalogue,detail
    python bench/run.py --endpoints detail-auth --profile profiles  # flame graphs
    python bench/run.py --endpoints search --movies 60000  # search at scale

Each run creates a scratch PostgreSQL database (dropped at the end), caches
in a Redis database under a key prefix of its own (deleted at the end),
migrates, imports MovieLens, starts gunicorn with DJANGO_ENV=production
(movieratings.testing, the stack the tests run too) and drives each endpoint
with wrk. Queries per request come from the server's own request log, read
during a short probe against a second server logging at INFO. This is not a
test: the figures depend on the machine, and the load generator shares its
CPUs.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import FrameType

# The repository root, for movieratings.testing (the scripts' own directory
# is on sys.path already).
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import dataset
from load import (
    ENDPOINT_KEYS,
    READ_KEYS,
    BenchData,
    BenchError,
    Endpoint,
    LoadResult,
    Probe,
    prepare,
    probe,
    record_response,
    run_wrk,
)
from profiling import FORMATS, Profile, py_spy
from report import (
    comparison_table,
    fmt_ms,
    fmt_ratio,
    fmt_share,
    layout_table,
    out,
    size_label,
    table,
)

from movieratings.testing import Layout, ScratchDatabase, Server, Stack, StackError

DEFAULT_MOVIELENS = (
    ROOT.parent / "shared" / "datasets" / "movielens" / "ml-latest-small"
)


@dataclass
class SizeRun:
    """The figures of every endpoint at one data size."""

    ratings: int
    labels: dict[str, str] = field(default_factory=dict)
    results: dict[str, LoadResult] = field(default_factory=dict)
    probes: dict[str, Probe] = field(default_factory=dict)


def _csv(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(float(item)) for item in _csv(text)})
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a list of sizes: {text!r}") from exc
    if len(sizes) < 2 or sizes[0] < 0:
        raise argparse.ArgumentTypeError("give two or more sizes, e.g. 100000,1000000")
    return sizes


def _layouts(text: str) -> list[Layout]:
    try:
        return [Layout.parse(item) for item in _csv(text)]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _endpoints(text: str) -> list[str]:
    keys = _csv(text)
    unknown = sorted(set(keys) - set(ENDPOINT_KEYS))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown endpoints {', '.join(unknown)}; choose from "
            + ", ".join(ENDPOINT_KEYS)
        )
    return keys


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    data = parser.add_argument_group("data")
    data.add_argument(
        "--movielens",
        type=Path,
        default=DEFAULT_MOVIELENS,
        help="MovieLens directory or zip to import (default: %(default)s)",
    )
    data.add_argument(
        "--ratings",
        type=lambda text: int(float(text)),
        default=0,
        help="top up with seed_synthetic to this many ratings in total "
        "(default: MovieLens alone)",
    )
    data.add_argument(
        "--movies",
        type=lambda text: int(float(text)),
        default=0,
        help="top the catalogue up with seed_synthetic to this many movies "
        "(few ratings each; e.g. 60000 for the search scenario at scale)",
    )
    data.add_argument(
        "--compare",
        type=_sizes,
        metavar="N,N,...",
        help="run the read endpoints at each total size and compare them",
    )
    services = parser.add_argument_group("services")
    services.add_argument(
        "--postgres-url",
        default="postgres://postgres@127.0.0.1:5432",
        help="PostgreSQL server on which a scratch database is created "
        "(movieratings_bench_<random>, or named after the URL's database)",
    )
    services.add_argument(
        "--database-url",
        help="use this existing database instead (kept; data loaded only if empty)",
    )
    services.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/15",
        help="Redis database for the cache (keys under a prefix of the run's "
        "own, deleted at the end)",
    )
    server = parser.add_argument_group("gunicorn")
    server.add_argument("--workers", type=int, help="GUNICORN_WORKERS")
    server.add_argument("--threads", type=int, help="GUNICORN_THREADS")
    server.add_argument("--worker-class", choices=["sync", "gthread"])
    server.add_argument(
        "--layouts",
        type=_layouts,
        metavar="L,L,...",
        help="compare gunicorn layouts [sync:|gthread:]WORKERS[xTHREADS], "
        "e.g. 2x1,3x2,sync:5",
    )
    load = parser.add_argument_group("load")
    load.add_argument(
        "--endpoints",
        type=_endpoints,
        help="comma-separated subset of: " + ", ".join(ENDPOINT_KEYS),
    )
    load.add_argument("--duration", type=float, default=15, help="seconds each")
    load.add_argument(
        "--warmup", type=float, default=2, help="seconds of unmeasured load first"
    )
    load.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per endpoint, in rounds; the best run is reported "
        "(filters out interference from other work on the machine)",
    )
    load.add_argument(
        "--profile",
        type=Path,
        metavar="DIR",
        help="sample the workers with py-spy during each measured run and write "
        "one profile per run into DIR",
    )
    load.add_argument(
        "--profile-format",
        choices=sorted(FORMATS),
        default="flamegraph",
        help="flamegraph (SVG, the default), speedscope (JSON) or raw "
        "(collapsed stacks, text)",
    )
    load.add_argument(
        "--no-ceiling",
        dest="ceiling",
        action="store_false",
        help="skip the ceiling: the bare WSGI app serving each endpoint's bytes "
        "in the same layout, measured right after it (bench/ceiling.py)",
    )
    load.add_argument("--connections", type=int, default=16)
    load.add_argument("--wrk-threads", type=int, default=2)
    load.add_argument(
        "--probe-requests",
        type=int,
        default=7,
        help="requests per endpoint whose query counts give the median",
    )
    args = parser.parse_args(argv)
    if args.layouts and args.compare:
        parser.error("--layouts and --compare do not combine")
    if args.layouts and (args.workers or args.threads or args.worker_class):
        parser.error("--layouts replaces --workers/--threads/--worker-class")
    return args


class _Terminated(Exception):
    pass


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    if args.database_url:
        yield args.database_url
        return
    with ScratchDatabase(args.postgres_url, "bench") as scratch:
        yield scratch.url


class Bench:
    def __init__(self, args: argparse.Namespace, stack: Stack, wrk: str) -> None:
        self.args = args
        self.stack = stack
        self.wrk = wrk
        self.import_seconds: float | None = None
        self.errors = 0
        self.profiles = 0

    def load_data(self, target: int) -> int:
        """Import MovieLens if needed and seed up to ``target`` ratings."""
        total, import_seconds = dataset.load(
            self.stack,
            movielens=self.args.movielens,
            ratings=target,
            movies=self.args.movies,
        )
        if import_seconds is not None:
            self.import_seconds = import_seconds
        return total

    def endpoints(self, data: BenchData, keys: list[str]) -> list[Endpoint]:
        return [e for e in data.endpoints() if e.key in keys]

    def measure(
        self,
        layout: Layout,
        data: BenchData,
        endpoints: list[Endpoint],
        *,
        rounds: int | None = None,
        into: dict[str, LoadResult] | None = None,
    ) -> dict[str, LoadResult]:
        """Load each endpoint in turn, for some rounds; keep each one's best run.

        ``into`` holds the best runs so far (of earlier servers) to improve on.
        """
        results: dict[str, LoadResult] = {} if into is None else into
        errors_before = self.errors
        with self.stack.server(layout) as server:
            for round_ in range(self.args.repeat if rounds is None else rounds):
                for endpoint in endpoints:
                    if round_ == 0 and self.args.warmup > 0:
                        self._wrk(server, endpoint, data, self.args.warmup)
                    result, profile = self._measured_wrk(server, endpoint, data)
                    self.errors += result.errors
                    out(
                        f"    {endpoint.label:<44} {result.rps:8.1f} req/s  "
                        f"p99 {result.p99_ms:7.1f} ms  errors {result.errors}  "
                        f"CPU ms/req app {fmt_ms(result.app_cpu_ms)} "
                        f"db {fmt_ms(result.db_cpu_ms)}  "
                        f"other CPU {fmt_share(result.other_cpu)}"
                    )
                    if self.args.ceiling:
                        result.ceiling = self._ceiling(server, layout, endpoint, data)
                        out(
                            f"    {'  ceiling, same bytes':<44} "
                            f"{result.ceiling.rps:8.1f} req/s  "
                            f"p99 {result.ceiling.p99_ms:7.1f} ms  "
                            f"ratio {fmt_ratio(result.ratio)}"
                        )
                    if profile is not None:
                        out(f"      profile: {profile}")
                    _keep_best(results, endpoint.key, result)
        if self.errors > errors_before:
            self.keep_log(server)
        return results

    def _ceiling(
        self, server: Server, layout: Layout, endpoint: Endpoint, data: BenchData
    ) -> LoadResult:
        """Measure the bare WSGI app serving this endpoint's bytes, same layout."""
        response = record_response(server, endpoint, data)
        recorded = response.save(
            Path(tempfile.mkstemp(prefix="ceiling-", dir=self.stack.workdir)[1])
        )
        with self.stack.server(
            layout,
            app="ceiling:app",
            env={"CEILING_RESPONSE": str(recorded)},
            pythonpath=self.stack.code / "bench",
        ) as ceiling:
            if self.args.warmup > 0:
                self._wrk(ceiling, endpoint, data, self.args.warmup)
            result = self._wrk(ceiling, endpoint, data, self.args.duration)
        if result.errors:
            raise BenchError(f"the ceiling of {endpoint.key} failed requests")
        return result

    def keep_log(self, server: Server) -> None:
        """Copy the server's log out of the scratch directory; show its errors."""
        kept = Path(tempfile.gettempdir()) / (
            f"movieratings-bench-{os.getpid()}-{server.port}.log"
        )
        shutil.copyfile(server.log_path, kept)
        out(f"    requests failed; the server log is kept in {kept}")
        for line in error_summary(server):
            out(f"      {line}")

    def _measured_wrk(
        self, server: Server, endpoint: Endpoint, data: BenchData
    ) -> tuple[LoadResult, Path | None]:
        """Run the measured load, sampled by py-spy with ``--profile``."""
        seconds = self.args.duration
        if self.args.profile is None:
            return self._wrk(server, endpoint, data, seconds), None
        self.profiles += 1
        extension = FORMATS[self.args.profile_format]
        output = self.args.profile / f"{self.profiles:02d}-{endpoint.key}.{extension}"
        with Profile(server.pid, seconds, output, self.args.profile_format):
            result = self._wrk(server, endpoint, data, seconds)
        return result, output.resolve()

    def _wrk(
        self, server: Server, endpoint: Endpoint, data: BenchData, seconds: float
    ) -> LoadResult:
        return run_wrk(
            self.wrk,
            server,
            endpoint,
            data,
            seconds=seconds,
            connections=self.args.connections,
            threads=self.args.wrk_threads,
        )

    def probe(self, data: BenchData, endpoints: list[Endpoint]) -> dict[str, Probe]:
        with self.stack.server(
            Layout(1, 1, "gthread"), env={"LOG_LEVEL": "INFO"}
        ) as server:
            return probe(
                server,
                endpoints,
                data,
                requests=self.args.probe_requests,
                clear_cache=self.stack.clear_cache,
            )

    def run_size(
        self, target: int, keys: list[str], layout: Layout, data: BenchData | None
    ) -> tuple[SizeRun, BenchData]:
        total = self.load_data(target)
        self.stack.clear_cache()
        if data is None:
            with self.stack.server(layout) as server:
                data = prepare(server.base_url, keys)
            out(
                f"  popular movie: {data.movie_title} (id {data.movie_id}); "
                f"genre {data.genre}, years {data.year_min}-{data.year_max}"
            )
        endpoints = self.endpoints(data, keys)
        run = SizeRun(total, labels={e.key: e.label for e in endpoints})
        out(
            f"  probing queries per request ({self.args.probe_requests} cold and "
            f"{self.args.probe_requests} warm each) ..."
        )
        run.probes = self.probe(data, endpoints)
        self.stack.clear_cache()
        out(f"  load: {layout.describe()}")
        run.results = self.measure(layout, data, endpoints)
        return run, data


def error_summary(server: Server, *, limit: int = 5) -> list[str]:
    """Return the distinct messages of the log's ERROR records (JSON lines)."""
    seen: dict[str, int] = {}
    for record in server.log_records():
        if record.get("level") not in {"ERROR", "CRITICAL"}:
            continue
        exception = str(record.get("exception", "")).strip().splitlines()
        message = exception[-1] if exception else str(record.get("message"))
        seen[message] = seen.get(message, 0) + 1
    ranked = sorted(seen.items(), key=lambda item: -item[1])
    return [f"{count} x {message[:200]}" for message, count in ranked[:limit]]


def _keep_best(results: dict[str, LoadResult], key: str, result: LoadResult) -> None:
    """Keep the run with the most req/s; count the errors of every run."""
    best = results.get(key)
    if best is None:
        results[key] = result
    elif result.rps > best.rps:
        result.errors += best.errors
        results[key] = result
    else:
        best.errors += result.errors


def code_version() -> str:
    """Return the commit of the working tree, marked when it has changes."""
    git = shutil.which("git")
    if git is None:
        return "unknown"

    def run_git(*args: str) -> str:
        return subprocess.run(
            [git, *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()

    try:
        commit = run_git("rev-parse", "--short", "HEAD")
        dirty = run_git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit} with uncommitted changes" if dirty else commit


def gunicorn_version() -> str:
    try:
        return "gunicorn " + metadata.version("gunicorn")
    except metadata.PackageNotFoundError:
        return "gunicorn (not installed)"


def header(args: argparse.Namespace, layout: Layout) -> None:
    out("movieratings benchmark")
    out(f"  date      {datetime.now(UTC):%Y-%m-%d %H:%M UTC}")
    out(f"  code      {code_version()} (the server runs from a copy of it)")
    out(
        f"  machine   {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}"
    )
    out(
        f"  load      wrk, {args.connections} connections, {args.wrk_threads} "
        f"threads, {args.duration:g}s per endpoint after {args.warmup:g}s warm-up"
        + (f", best of {args.repeat}" if args.repeat > 1 else "")
    )
    if not args.layouts:
        out(f"  gunicorn  {gunicorn_version()}, {layout.describe()}")
    load = os.getloadavg()[0]
    out(f"  load avg  {load:.2f} at start")
    if load > 1:
        out("  WARNING: the machine is busy; the figures will be low and noisy")
    out("")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.stderr.write(
            "wrk is not installed. On Debian or Ubuntu: sudo apt-get install -y wrk "
            "(or apt-get install -y wrk as root); elsewhere see "
            "https://github.com/wg/wrk\n"
        )
        return 2
    if args.profile is not None:
        try:
            py_spy()
        except BenchError as exc:
            sys.stderr.write(f"{exc}\n")
            return 2
    signal.signal(signal.SIGTERM, _on_sigterm)
    layout = Layout(args.workers, args.threads, args.worker_class)
    started = time.monotonic()
    failed_requests = 0
    header(args, layout)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="movieratings-bench-") as workdir,
            database(args) as database_url,
            Stack(
                Path(workdir),
                database_url=database_url,
                redis_url=args.redis_url,
                # One sign-in must last the whole run.
                env={"JWT_ACCESS_TOKEN_MINUTES": "720"},
                snapshot=True,
            ) as stack,
        ):
            out("  migrating and collecting static files ...")
            stack.manage("migrate", "--no-input")
            stack.manage("collectstatic", "--no-input")
            bench = Bench(args, stack, wrk)
            if args.compare:
                run_compare(bench, args, layout)
            elif args.layouts:
                run_layouts(bench, args)
            else:
                run_single(bench, args, layout)
            failed_requests = bench.errors
    except (BenchError, StackError) as exc:
        sys.stderr.write(f"\nbenchmark failed: {exc}\n")
        return 1
    except (KeyboardInterrupt, _Terminated):
        sys.stderr.write("\ninterrupted; the scratch database has been dropped\n")
        return 130
    out(f"\nfinished in {time.monotonic() - started:.0f}s")
    if failed_requests:
        out(f"WARNING: {failed_requests} requests failed (see the errors column)")
        return 1
    return 0


def _import_line(bench: Bench) -> None:
    if bench.import_seconds is not None:
        out(
            "MovieLens import (import_movielens --ratings): "
            f"{bench.import_seconds:.1f}s"
        )


def run_single(bench: Bench, args: argparse.Namespace, layout: Layout) -> None:
    keys = args.endpoints or list(ENDPOINT_KEYS)
    run, _ = bench.run_size(args.ratings, keys, layout, None)
    out("")
    _import_line(bench)
    out(f"\n{size_label(run.ratings)} ratings, {layout.describe()}\n")
    out(table(keys, run.results, run.probes, labels=run.labels))


def run_compare(bench: Bench, args: argparse.Namespace, layout: Layout) -> None:
    keys = args.endpoints or list(READ_KEYS)
    runs: list[SizeRun] = []
    data: BenchData | None = None
    for size in args.compare:
        out(f"\n== {size_label(size)} ratings")
        run, data = bench.run_size(size, keys, layout, data)
        runs.append(run)
    out("")
    _import_line(bench)
    for run in runs:
        out(f"\n{size_label(run.ratings)} ratings, {layout.describe()}\n")
        out(table(keys, run.results, run.probes, labels=run.labels))
    first, last = runs[0], runs[-1]
    out(f"\n{size_label(first.ratings)} -> {size_label(last.ratings)} ratings\n")
    out(
        comparison_table(
            keys,
            first.labels,
            (first.ratings, first.results, first.probes),
            (last.ratings, last.results, last.probes),
        )
    )


def run_layouts(bench: Bench, args: argparse.Namespace) -> None:
    keys = args.endpoints or ["catalogue", "detail"]
    total = bench.load_data(args.ratings)
    bench.stack.clear_cache()
    with bench.stack.server(args.layouts[0]) as server:
        data = prepare(server.base_url, keys)
    endpoints = bench.endpoints(data, keys)
    best: dict[str, dict[str, LoadResult]] = {
        layout.describe(): {} for layout in args.layouts
    }
    # Rounds go over every layout in turn, so that a burst of other work on the
    # machine does not penalise one layout alone.
    for round_ in range(args.repeat):
        for layout in args.layouts:
            bench.stack.clear_cache()
            out(f"  {layout.describe()} (round {round_ + 1} of {args.repeat})")
            bench.measure(
                layout, data, endpoints, rounds=1, into=best[layout.describe()]
            )
    rows = list(best.items())
    out("")
    _import_line(bench)
    out(
        f"\ngunicorn layouts at {size_label(total)} ratings "
        "(req/s, p99 ms, ratio to the ceiling)\n"
    )
    out(layout_table(keys, {e.key: e.label for e in endpoints}, rows))


if __name__ == "__main__":
    sys.exit(main())
