"""Anonymous catalogue reads served as stored bytes, in one Redis round trip.

A public catalogue response (the movie list and search, a movie, the genres,
a movie's similar films) is the same for every anonymous caller asking the
same URL of the same origin. Once computed, its status, headers and body are
stored in Redis beside the versions it was computed at, and the next such
request is answered by one Lua script that counts the request against the
anonymous rate, checks the versions and returns the bytes: no URL routing,
no DRF objects, no serialiser, no renderer. ``PublicResponseCacheMiddleware``
sits right after ``AuthenticationMiddleware``, so the middlewares outside it
(request log, security headers, CORS, ETag and 304) still see every response;
the headers the inner ones add (X-Frame-Options, Content-Security-Policy,
Vary) are part of what is stored. The script's count is the anonymous
rate's: on a miss, DRF's throttle reads it instead of counting again.

Exactness is the catalogue cache's: every committed write to a movie, a
genre or a rating bumps the catalogue version (``movies.cache``), a new
recommender model changes the announced version (``recommendations.serving``).
On a miss the script returns the versions as they were before the response
was computed, and the entry is stored with those: if a write committed
meanwhile, the entry is out of date at once and never served.

Only a view that says so is stored: ``public_cache_versions`` on its class
names the versions its anonymous GET responses depend on (``"catalogue"``,
``"recommender"``). A request is served or stored only when nothing in it can
change the answer but the URL: a GET with no ``Authorization`` header, no
session cookie, no ``?format=``, and an ``Accept`` that picks JSON. Without
Redis (the in-process cache of development), while the breaker is open, or
while this process has a catalogue invalidation pending, every request goes
through Django as before.
"""

import logging
import random
from typing import Any, Final

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django_redis import get_redis_connection
from redis.exceptions import RedisError

from movieratings.throttling import COUNTED_ANONYMOUS_REQUEST, AnonRateThrottle
from movies import cache as catalogue_cache
from movies.cache import CATALOGUE_VERSION_KEY, query_key
from recommendations.serving import VERSION_KEY as RECOMMENDER_VERSION_KEY

logger = logging.getLogger(__name__)

# What a view's ``public_cache_versions`` may name, and the cache key of each.
_DEPENDENCIES: Final = {
    "catalogue": CATALOGUE_VERSION_KEY,
    "recommender": RECOMMENDER_VERSION_KEY,
}
# Changes with the layout of an entry, or when a release changes what a
# stored response holds, so that no release serves another's bytes.
FORMAT = 1
_STORED_STATUS = 200
_JSON = "application/json"

# KEYS: the entry, the anonymous rate's counter and its window's opening
# time, then every dependency's version key. ARGV: the rate's number of
# requests (0: no rate), its period in seconds, the time now (seconds).
# Returns {count, headers, body} on a hit, {count, false, false, version...}
# on a miss: the dependencies' versions as they are now.
_SCRIPT = """
local count = 0
if tonumber(ARGV[1]) > 0 then
    count = redis.call('INCR', KEYS[2])
    if count == 1 then
        redis.call('EXPIRE', KEYS[2], ARGV[2])
        redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[2])
    end
end
local entry = redis.call('HMGET', KEYS[1], 'n', 'headers', 'body')
if entry[1] then
    local fresh = true
    for i = 1, tonumber(entry[1]) do
        local dep = redis.call('HMGET', KEYS[1], 'k' .. i, 'v' .. i)
        if redis.call('GET', dep[1]) ~= dep[2] then
            fresh = false
            break
        end
    end
    if fresh then
        return {count, entry[2], entry[3]}
    end
end
local reply = {count, false, false}
for i = 4, #KEYS do
    reply[#reply + 1] = redis.call('GET', KEYS[i])
end
return reply
"""


def _anonymous_json_get(request: HttpRequest) -> bool:
    """Whether only the URL and origin can change the answer to ``request``."""
    if request.method != "GET":
        return False
    meta = request.META
    if "HTTP_AUTHORIZATION" in meta or settings.SESSION_COOKIE_NAME in request.COOKIES:
        return False
    if "format" in request.GET:
        return False
    accept = meta.get("HTTP_ACCEPT", "*/*").strip()
    return accept in ("", "*/*") or accept.startswith(_JSON)


def _public_cache_versions(request: HttpRequest) -> tuple[str, ...] | None:
    """Return what the view of ``request`` says its public responses depend on
    (``public_cache_versions``), None if it says nothing or there is no view."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None
    view_class = getattr(match.func, "cls", None) or getattr(
        match.func, "view_class", None
    )
    dependencies = getattr(view_class, "public_cache_versions", None)
    return None if dependencies is None else tuple(dependencies)


def _entry_key(request: HttpRequest) -> str:
    origin = f"{request.scheme}://{request.get_host()}"
    return cache.make_key(
        query_key(f"public:{FORMAT}:{origin}{request.path}", request.GET)
    )


def _encode_headers(response: HttpResponse) -> bytes:
    return "\r\n".join(f"{name}: {value}" for name, value in response.items()).encode()


def _decode_headers(raw: bytes) -> list[tuple[str, str]]:
    headers = []
    for line in raw.decode().split("\r\n"):
        name, _, value = line.partition(": ")
        headers.append((name, value))
    return headers


class PublicResponseCacheMiddleware:
    """Serve and store public catalogue responses (see the module docstring)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        self.enabled = bool(settings.REDIS_URL)
        self._script: Any = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.enabled or not _anonymous_json_get(request):
            return self.get_response(request)
        dependencies = _public_cache_versions(request)
        if dependencies is None or not catalogue_cache.catalogue.serves_cached():
            return self.get_response(request)
        throttle = AnonRateThrottle()
        if throttle.cache is not cache:
            # The script counts in Redis: only where the throttle counts too.
            return self.get_response(request)
        counter = throttle.get_cache_key(request, None)  # type: ignore[arg-type]
        rate = 0 if throttle.rate is None or counter is None else throttle.num_requests
        entry = _entry_key(request)
        try:
            reply = self._run(
                keys=[
                    entry,
                    cache.make_key(counter or "-"),
                    cache.make_key(f"{counter}:opened"),
                    *(cache.make_key(key) for key in _DEPENDENCIES.values()),
                ],
                args=[rate, throttle.duration if rate else 0, int(throttle.timer())],
            )
        except RedisError:
            # Redis is down, hung (the breaker fails calls at once) or
            # refused the script: Django answers as it would without it.
            return self.get_response(request)
        count, headers, body = reply[0], reply[1], reply[2]
        if rate:
            setattr(request, COUNTED_ANONYMOUS_REQUEST, count)
            if count > rate:
                # DRF's throttle answers 429, with its Retry-After.
                return self.get_response(request)
        if body is not None:
            response = HttpResponse(body, status=_STORED_STATUS)
            for name, value in _decode_headers(headers):
                response[name] = value
            return response
        versions = dict(zip(_DEPENDENCIES, reply[3:], strict=True))
        response = self.get_response(request)
        self._store(response, entry, dependencies, versions)
        return response

    def _run(self, *, keys: list[str], args: list[int]) -> list[Any]:
        if self._script is None:
            self._script = get_redis_connection("default").register_script(_SCRIPT)
        return list(self._script(keys=keys, args=args))

    def _store(
        self,
        response: HttpResponse,
        entry: str,
        dependencies: tuple[str, ...],
        versions: dict[str, bytes | None],
    ) -> None:
        if (
            response.status_code != _STORED_STATUS
            or response.streaming
            or response.cookies
            or not response.get("Content-Type", "").startswith(_JSON)
            or not catalogue_cache.catalogue.serves_cached()
        ):
            return
        fields: dict[str, bytes | str | int] = {
            "headers": _encode_headers(response),
            "body": response.content,
            "n": len(dependencies),
        }
        for index, name in enumerate(dependencies, start=1):
            version = versions[name]
            if version is None:
                return  # Absent: a fresh number will replace it.
            fields[f"k{index}"] = cache.make_key(_DEPENDENCIES[name])
            fields[f"v{index}"] = version
        timeout = int(settings.CACHE_TIMEOUT * random.uniform(0.9, 1.1))  # noqa: S311
        try:
            pipe = get_redis_connection("default").pipeline(transaction=True)
            pipe.delete(entry)
            pipe.hset(entry, mapping=fields)
            pipe.expire(entry, timeout)
            pipe.execute()
        except RedisError:
            logger.warning("Could not store a public response", exc_info=True)
