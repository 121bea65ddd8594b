"""Gunicorn settings for the production server, read from the environment.

Start it with ``gunicorn -c gunicorn.conf.py movieratings.wsgi``. Command-line
options (``--bind`` ...) still override what is set here.
"""

import multiprocessing
import os
from urllib.parse import urlsplit


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# Listen on every interface inside the container; PORT is the platform's usual knob.
bind = [f"0.0.0.0:{_int_env('PORT', 8000)}"]

# Single-threaded processes, as many as measurement found best (`make bench
# BENCH_ARGS="--layouts ..."`, docs/SCALING.md). With PostgreSQL and Redis on
# other machines, (2 x cores) + 1: a request's round trips are network waits
# that leave a core idle unless another process has a request to run. With
# them on this machine (every URL names a loopback host or a socket), their
# CPU is the workers' CPU, and cores + 1 serve more with a lower p99 (on 2
# cores, rating writes 476 against 346 req/s, p99 45 against 61 ms; reads
# equal or better). With keep-alive threads (gthread) a client's connection
# stays with one process, so requests queue unevenly: more requests/s for
# authenticated calls but two to four times the p99 of the catalogue. Set
# GUNICORN_THREADS above 1 to switch to gthread. Sync workers expect a
# buffering proxy or load balancer in front against slow clients.
#
# Without REDIS_URL the cache, throttle counts and sign-in lock-outs live in
# each process's memory: a write would invalidate the cache of the process that
# served it only. Then the default is one process with as many threads, which
# keeps them coherent.
_LOOPBACK = {"", "localhost", "127.0.0.1", "::1"}


def _on_this_machine(url: str) -> bool:
    """Whether a service URL names this machine: a loopback host, a Unix
    socket (``postgres://%2Fvar%2Frun...``, ``unix://``) or none (SQLite)."""
    host = (urlsplit(url).hostname or "").lower()
    return host in _LOOPBACK or host.startswith(("/", "%2f"))


_services = [os.environ.get(name, "").strip() for name in ("DATABASE_URL", "REDIS_URL")]
_cores = multiprocessing.cpu_count()
_local = all(_on_this_machine(url) for url in _services)
_slots = _cores + 1 if _local else 2 * _cores + 1
_shared_cache = bool(_services[1])
workers = _int_env("GUNICORN_WORKERS", _slots if _shared_cache else 1)
threads = _int_env("GUNICORN_THREADS", 1 if _shared_cache else _slots)
worker_class = "gthread" if threads > 1 else "sync"

# A request that takes longer is stuck: kill the worker. On SIGTERM, finish
# in-flight requests for up to graceful_timeout seconds before exiting.
timeout = _int_env("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int_env("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = 5

# gunicorn refuses a request it cannot parse before Django sees it, with a
# small HTML page of its own instead of the API's JSON error shape: a request
# line over limit_request_line bytes (414), more than limit_request_fields
# header fields or one over limit_request_field_size bytes (400), and
# malformed HTTP (400). The limits are the largest gunicorn allows, far above
# anything a client of the API sends (its longest URL, a movie list with
# every filter, is under 300 bytes; a JWT header about 300): the README
# documents them as part of the contract.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# Recycling workers after N requests (a guard against slow leaks) is off: each
# restart re-imports Django (about half a second of CPU) while requests queue
# behind it, and at 1,000 requests per worker that stall came every few seconds
# under load and made the p99 ten times the p50. Set GUNICORN_MAX_REQUESTS
# (with its jitter) if a leak ever shows.
max_requests = _int_env("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _int_env("GUNICORN_MAX_REQUESTS_JITTER", 0)

# Proxies whose X-Forwarded-* headers are trusted (comma separated, "*" for any).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# movieratings.middleware logs one JSON line per request, so no access log;
# gunicorn's own messages go to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# The worker heartbeat file lives in memory where possible: on a disk-backed
# /tmp (Docker's overlay filesystem) the heartbeat can block workers.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# No gunicornc control socket: nothing uses it, and its default path under
# $HOME would be shared by every server a user starts.
control_socket_disable = True
