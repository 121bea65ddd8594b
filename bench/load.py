"""What the benchmark asks of the API: endpoints, test data, wrk and the probe."""

from __future__ import annotations

import datetime
import json
import secrets
import statistics
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ceiling
from ceiling import Recorded
from cpu import CpuMeter

from movieratings.testing import Server

LUA_SCRIPT = Path(__file__).resolve().parent / "wrk.lua"
# Twice the default connections: a user seldom has two writes in flight (wrk.lua).
BENCH_USERS = 32
WRITE_MOVIES = 200
PROFILE_RATINGS = 100
# The first bench user's watchlist and diary hold this many films each.
FILM_LIFE_ENTRIES = 50
# Personal picks are asked for by this many users, each with their own ratings.
RECOMMENDATION_USERS = 100
RECOMMENDATION_RATINGS = 10


class BenchError(RuntimeError):
    """A step of the benchmark failed; the message says which and why."""


# What people type into a film search, typos included: MovieLens titles with a
# letter dropped, doubled, swapped or wrong, or a word left out.
SEARCH_QUERIES = (
    *("shawshenk", "godfater", "pulp fction", "forest gump", "matrx"),
    *("star wars", "jurasic park", "silense of the lambs", "schindlers list"),
    *("bravehart", "terminator 2", "toy stroy", "lion kign", "back to the futur"),
    *("fight clu", "lord of the rigns", "gladiater", "titanc", "amelie", "leon"),
    *("inceptoin", "dark knigt", "goodfelas", "frago", "alein", "casablanka"),
    *("indiana jones", "raiders lost ark", "usual suspect", "momento"),
    *("american beuty", "saving privat ryan", "sixth sence", "twelve monkies"),
    *("reservoir dgos", "aladin", "beauty and the beast", "finding nemmo"),
    *("shrek", "monsters inc", "incredibls", "groundhog dya", "die hrad"),
    *("apocalipse now", "blade runer", "taxi drivr", "princes bride"),
    *("eternal sunshne", "good will huntng", "men in blak"),
)


@dataclass(frozen=True)
class Endpoint:
    key: str
    label: str
    path: str
    authenticated: bool = False
    write: bool = False
    # GET these paths in turn instead of ``path`` (see wrk.lua's "paths"),
    # with ``uncached`` each time with other parameters that the cache misses.
    paths: tuple[str, ...] = ()
    uncached: bool = False
    # GET as each of the recommendation users in turn (their own picks).
    per_user: bool = False


@dataclass
class BenchData:
    """Ids that exist in the loaded catalogue, and the bench users' tokens."""

    tokens: list[str]
    movie_id: int
    movie_title: str
    write_movie_ids: list[int]
    genre: str
    year_min: int
    year_max: int
    recommendation_tokens: list[str]

    def endpoints(self) -> list[Endpoint]:
        movie = f"/api/v1/movies/{self.movie_id}/"
        filtered = (
            f"/api/v1/movies/?genre={self.genre}"
            f"&year_min={self.year_min}&year_max={self.year_max}"
        )
        search_paths = tuple(
            "/api/v1/movies/?" + urllib.parse.urlencode({"search": query})
            for query in SEARCH_QUERIES
        )
        return [
            Endpoint("catalogue", "catalogue", "/api/v1/movies/"),
            Endpoint(
                "catalogue-weighted",
                "catalogue ?ordering=-weighted_rating",
                "/api/v1/movies/?ordering=-weighted_rating",
            ),
            Endpoint(
                "catalogue-filtered",
                f"catalogue ?genre={self.genre}&year {self.year_min}-{self.year_max}",
                filtered,
            ),
            Endpoint(
                "search",
                f"catalogue ?search= ({len(SEARCH_QUERIES)} queries)",
                search_paths[0],
                paths=search_paths,
            ),
            Endpoint(
                "search-uncached",
                f"catalogue ?search= ({len(SEARCH_QUERIES)} queries, uncached)",
                search_paths[0],
                paths=search_paths,
                uncached=True,
            ),
            Endpoint("detail", "movie detail (anonymous)", movie),
            Endpoint("detail-auth", "movie detail (JWT)", movie, authenticated=True),
            Endpoint("movie-ratings", "movie's ratings", movie + "ratings/"),
            Endpoint(
                "profile",
                "profile /users/me/ratings/",
                "/api/v1/users/me/ratings/",
                authenticated=True,
            ),
            Endpoint(
                "watchlist",
                "watchlist /users/me/watchlist/",
                "/api/v1/users/me/watchlist/",
                authenticated=True,
            ),
            Endpoint(
                "diary",
                "diary /users/me/diary/",
                "/api/v1/users/me/diary/",
                authenticated=True,
            ),
            Endpoint(
                "stats",
                "taste profile /users/me/stats/",
                "/api/v1/users/me/stats/",
                authenticated=True,
            ),
            Endpoint("similar", "similar films (anonymous)", movie + "similar/"),
            Endpoint(
                "recommendations",
                f"picks /users/me/recommendations/ ({RECOMMENDATION_USERS} users)",
                "/api/v1/users/me/recommendations/",
                authenticated=True,
                per_user=True,
            ),
            Endpoint(
                "rating-upsert",
                f"PUT rating ({len(self.write_movie_ids)} movies)",
                "/api/v1/movies/{id}/rating/",
                authenticated=True,
                write=True,
            ),
        ]


ENDPOINT_KEYS = (
    "catalogue",
    "catalogue-weighted",
    "catalogue-filtered",
    "search",
    "search-uncached",
    "detail",
    "detail-auth",
    "movie-ratings",
    "profile",
    "watchlist",
    "diary",
    "stats",
    "similar",
    "recommendations",
    "rating-upsert",
)
READ_KEYS = tuple(key for key in ENDPOINT_KEYS if key != "rating-upsert")


def api(
    base_url: str,
    method: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    token: str | None = None,
    request_id: str | None = None,
) -> tuple[int, Any]:
    """Send one request; return the status and the decoded JSON body."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if request_id:
        headers["X-Request-ID"] = request_id
    request = urllib.request.Request(  # noqa: S310 (local http URL)
        base_url + path, data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        payload = json.loads(raw) if raw else None
    except ValueError:
        payload = raw.decode(errors="replace")[:500]
    return status, payload


def _expect(status: int, payload: Any, expected: set[int], what: str) -> Any:
    if status not in expected:
        raise BenchError(f"{what}: HTTP {status} {payload!r}")
    return payload


def _sign_up(base_url: str, name: str) -> str:
    status, payload = api(
        base_url,
        "POST",
        "/api/v1/auth/signup/",
        body={
            "email": f"{name}@example.com",
            "username": name.replace("-", "_"),
            "password": secrets.token_urlsafe(24),
        },
    )
    access: str = _expect(status, payload, {201}, "signup")["access"]
    return access


def prepare(base_url: str, keys: Collection[str]) -> BenchData:
    """Pick ids that exist in the catalogue, and sign up the users (with their
    ratings) that the endpoints ``keys`` need: none for anonymous reads."""
    status, payload = api(
        base_url, "GET", f"/api/v1/movies/?ordering=-rating_count&page_size={100}"
    )
    popular = _expect(status, payload, {200}, "popular movies")["results"]
    if not popular or not popular[0]["rating_count"]:
        raise BenchError("the catalogue has no rated movies: is the data loaded?")
    write_ids = [movie["id"] for movie in popular]
    page = 2
    while len(write_ids) < WRITE_MOVIES:
        status, payload = api(
            base_url,
            "GET",
            f"/api/v1/movies/?ordering=-rating_count&page_size=100&page={page}",
        )
        if status != 200:
            break
        write_ids += [movie["id"] for movie in payload["results"]]
        page += 1
    top = popular[0]

    status, payload = api(base_url, "GET", "/api/v1/genres/?page_size=100")
    slugs = [g["slug"] for g in _expect(status, payload, {200}, "genres")["results"]]
    top_slugs = [genre["slug"] for genre in top["genres"]]
    genre = "drama" if "drama" in slugs else (top_slugs or slugs)[0]
    year = top["year"] or 1995
    year_min, year_max = year - year % 10, year - year % 10 + 9
    status, payload = api(
        base_url,
        "GET",
        f"/api/v1/movies/?genre={genre}&year_min={year_min}&year_max={year_max}",
    )
    if not _expect(status, payload, {200}, "filtered catalogue")["count"]:
        raise BenchError(f"no {genre} movie from {year_min}-{year_max}")
    data = BenchData(
        tokens=[],
        movie_id=top["id"],
        movie_title=top["title"],
        write_movie_ids=write_ids[:WRITE_MOVIES],
        genre=genre,
        year_min=year_min,
        year_max=year_max,
        recommendation_tokens=[],
    )
    endpoints = [e for e in data.endpoints() if e.key in keys]
    tag = secrets.token_hex(4)
    if any(e.authenticated and not e.per_user for e in endpoints):
        names = [f"bench-{tag}-{index}" for index in range(BENCH_USERS)]
        data.tokens = [_sign_up(base_url, name) for name in names]
        _fill_first_user(base_url, data)
    if any(e.per_user for e in endpoints):
        data.recommendation_tokens = _recommendation_users(base_url, tag, write_ids)
    return data


def _fill_first_user(base_url: str, data: BenchData) -> None:
    """Have the first bench user rate many movies, the popular one first, and
    keep a watchlist and a diary.

    The profile, watchlist, diary and taste profile list real entries, the
    signed-in detail shows the user's own rating, and the write recorded for
    the ceiling is an update, as most of wrk's are.
    """
    for index, movie_id in enumerate(data.write_movie_ids[:PROFILE_RATINGS]):
        status, payload = api(
            base_url,
            "PUT",
            f"/api/v1/movies/{movie_id}/rating/",
            body={"score": (index % 10 + 1) / 2},
            token=data.tokens[0],
        )
        _expect(status, payload, {200, 201}, "rating upsert")
    # Their watchlist holds films they have not rated (rating one takes it
    # off), their diary the first films they rated, a day apart.
    ids = data.write_movie_ids
    for movie_id in ids[PROFILE_RATINGS : PROFILE_RATINGS + FILM_LIFE_ENTRIES]:
        status, payload = api(
            base_url,
            "PUT",
            f"/api/v1/movies/{movie_id}/watchlist/",
            token=data.tokens[0],
        )
        _expect(status, payload, {201}, "watchlist add")
    today = datetime.datetime.now(tz=datetime.UTC).date()
    first_day = today - datetime.timedelta(days=FILM_LIFE_ENTRIES)
    for index, movie_id in enumerate(ids[:FILM_LIFE_ENTRIES]):
        watched_on = first_day + datetime.timedelta(days=index)
        status, payload = api(
            base_url,
            "POST",
            "/api/v1/users/me/diary/",
            body={"movie": movie_id, "watched_on": watched_on.isoformat()},
            token=data.tokens[0],
        )
        _expect(status, payload, {201}, "diary entry")


def _recommendation_users(base_url: str, tag: str, movie_ids: list[int]) -> list[str]:
    """Sign up the recommendation users, each rating a different handful of
    popular films, and return their tokens."""
    tokens = []
    for index in range(RECOMMENDATION_USERS):
        token = _sign_up(base_url, f"bench-{tag}-picks-{index}")
        for offset in range(RECOMMENDATION_RATINGS):
            movie_id = movie_ids[(index * 7 + offset * 13) % len(movie_ids)]
            status, payload = api(
                base_url,
                "PUT",
                f"/api/v1/movies/{movie_id}/rating/",
                body={"score": ((index + offset) % 10 + 1) / 2},
                token=token,
            )
            _expect(status, payload, {200, 201}, "rating upsert")
        tokens.append(token)
    status, payload = api(
        base_url, "GET", "/api/v1/users/me/recommendations/", token=tokens[0]
    )
    if _expect(status, payload, {200}, "recommendations")["strategy"] != "personal":
        raise BenchError("recommendations are not personal: is the model trained?")
    return tokens


@dataclass
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    statuses: dict[str, int]
    app_cpu_ms: float | None = None
    db_cpu_ms: float | None = None
    other_cpu: float | None = None
    # The bare WSGI app serving the same bytes, run right after (ceiling.py).
    ceiling: LoadResult | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def ratio(self) -> float | None:
        """Return req/s as a share of the ceiling's, measured beside it."""
        if self.ceiling is None or not self.ceiling.rps:
            return None
        return self.rps / self.ceiling.rps


def wrk_command(
    wrk: str,
    server: Server,
    endpoint: Endpoint,
    data: BenchData,
    *,
    seconds: float,
    connections: int,
    threads: int,
) -> list[str]:
    command = [
        wrk,
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=10s",
        "--latency",
        f"--script={LUA_SCRIPT}",
    ]
    if endpoint.write:
        url = server.base_url + "/"
        extra = [
            "rate",
            ",".join(data.tokens),
            ",".join(str(movie_id) for movie_id in data.write_movie_ids),
            str(threads),
        ]
    elif endpoint.paths:
        url = server.base_url + "/"
        extra = ["paths", ",".join(endpoint.paths)]
        if endpoint.uncached:
            extra.append("uncached")
    elif endpoint.per_user:
        url = server.base_url + endpoint.path
        extra = ["users", ",".join(data.recommendation_tokens)]
    else:
        if endpoint.authenticated:
            command.append(f"--header=Authorization: Bearer {data.tokens[0]}")
        url = server.base_url + endpoint.path
        extra = ["get"]
    return [*command, url, "--", *extra]


def run_wrk(
    wrk: str,
    server: Server,
    endpoint: Endpoint,
    data: BenchData,
    *,
    seconds: float,
    connections: int,
    threads: int,
) -> LoadResult:
    """Load one endpoint with wrk for ``seconds``; return its figures."""
    command = wrk_command(
        wrk,
        server,
        endpoint,
        data,
        seconds=seconds,
        connections=connections,
        threads=threads,
    )
    meter = CpuMeter(server.pid, server.env["DATABASE_URL"])
    try:
        with meter:
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=seconds + 60,
                check=False,
            )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk on {endpoint.key} did not finish") from exc
    line = next(
        (ln for ln in result.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None
    )
    if result.returncode != 0 or line is None:
        raise BenchError(
            f"wrk on {endpoint.key} failed ({result.returncode}):\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    figures = json.loads(line.removeprefix("BENCH_JSON "))
    errors = sum(
        figures[key]
        for key in (
            "connect_errors",
            "read_errors",
            "write_errors",
            "timeouts",
            "status_errors",
        )
    )
    requests = int(figures["requests"])
    return LoadResult(
        requests=requests,
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=errors,
        statuses={str(k): int(v) for k, v in figures["statuses"].items()},
        app_cpu_ms=_per_request(meter.app_seconds, requests),
        db_cpu_ms=_per_request(meter.db_seconds, requests),
        other_cpu=meter.other_share,
    )


def _per_request(seconds: float | None, requests: int) -> float | None:
    if seconds is None or not requests:
        return None
    return seconds * 1000 / requests


@dataclass(frozen=True)
class Probe:
    """Medians over a few sequential requests, from the server's request log.

    Warm requests follow each other, so cached data is in the cache; before
    each cold one the cache (Redis database) is emptied. ``ms`` is the time the
    request spent in Django, as its log line says.
    """

    queries: float
    ms: float
    cold_queries: float | None = None
    cold_ms: float | None = None


def record_response(server: Server, endpoint: Endpoint, data: BenchData) -> Recorded:
    """Return the project's response to one request of ``endpoint``, as served.

    An endpoint that cycles through paths or users is recorded at its first.
    """
    headers = {"Accept": "application/json"}
    if endpoint.per_user:
        headers["Authorization"] = f"Bearer {data.recommendation_tokens[0]}"
    elif endpoint.authenticated:
        headers["Authorization"] = f"Bearer {data.tokens[0]}"
    if not endpoint.write:
        path = endpoint.paths[0] if endpoint.paths else endpoint.path
        return ceiling.record(server.base_url, "GET", path, headers=headers)
    # One more rating like the ones wrk sends, by a bench user that wrk uses too.
    headers["Content-Type"] = "application/json"
    return ceiling.record(
        server.base_url,
        "PUT",
        f"/api/v1/movies/{data.write_movie_ids[0]}/rating/",
        headers=headers,
        body=json.dumps({"score": 3.5}).encode(),
    )


def _probe_request(
    server: Server, endpoint: Endpoint, data: BenchData, index: int, request_id: str
) -> None:
    if endpoint.write:
        movie_id = data.write_movie_ids[index % len(data.write_movie_ids)]
        status, payload = api(
            server.base_url,
            "PUT",
            f"/api/v1/movies/{movie_id}/rating/",
            body={"score": ((index * 3) % 10 + 1) / 2},
            token=data.tokens[1 + index % (len(data.tokens) - 1)],
            request_id=request_id,
        )
    else:
        token = None
        if endpoint.per_user:
            token = data.recommendation_tokens[index % len(data.recommendation_tokens)]
        elif endpoint.authenticated:
            token = data.tokens[0]
        status, payload = api(
            server.base_url,
            "GET",
            endpoint.paths[index % len(endpoint.paths)]
            if endpoint.paths
            else endpoint.path,
            token=token,
            request_id=request_id,
        )
    if status >= 400:
        raise BenchError(f"{endpoint.key}: HTTP {status} {payload!r}")


def probe(
    server: Server,
    endpoints: list[Endpoint],
    data: BenchData,
    *,
    requests: int,
    clear_cache: Callable[[], None],
) -> dict[str, Probe]:
    """Return the queries and Django time per request of each endpoint.

    The server must log at INFO: the request log line of movieratings.middleware
    carries the query count and duration, and each probe request is found by
    its request id.
    """
    run = secrets.token_hex(4)
    for endpoint in endpoints:
        if not endpoint.write:
            for index in range(requests):
                clear_cache()
                request_id = f"bench-{run}-{endpoint.key}-cold-{index}"
                _probe_request(server, endpoint, data, index, request_id)
        for index in range(requests):
            request_id = f"bench-{run}-{endpoint.key}-warm-{index}"
            _probe_request(server, endpoint, data, index, request_id)
    # The log line is written before the response is sent; allow the stream
    # a moment all the same.
    time.sleep(0.2)
    samples: dict[tuple[str, str], list[tuple[int, float]]] = {}
    prefix = f"bench-{run}-"
    for record in server.log_records():
        request_id = str(record.get("request_id", ""))
        if not request_id.startswith(prefix) or "queries" not in record:
            continue
        key, phase, _ = request_id.removeprefix(prefix).rsplit("-", 2)
        samples.setdefault((key, phase), []).append(
            (int(record["queries"]), float(record.get("duration_ms", 0.0)))
        )
    missing = [e.key for e in endpoints if (e.key, "warm") not in samples]
    if missing:
        raise BenchError(
            "no request log line with a query count for "
            + ", ".join(missing)
            + " (does movieratings.middleware log at INFO?)"
        )
    result = {}
    for endpoint in endpoints:
        warm = samples[(endpoint.key, "warm")]
        cold = samples.get((endpoint.key, "cold"))
        result[endpoint.key] = Probe(
            queries=float(statistics.median(q for q, _ in warm)),
            ms=float(statistics.median(ms for _, ms in warm)),
            cold_queries=float(statistics.median(q for q, _ in cold)) if cold else None,
            cold_ms=float(statistics.median(ms for _, ms in cold)) if cold else None,
        )
    return result
