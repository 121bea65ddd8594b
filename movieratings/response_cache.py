"""Catalogue and per-user reads served as stored bytes, in one Redis round trip.

A cacheable response (the movie list and search, a movie, the genres, a
movie's ratings and similar films; with a token, also the caller's profile,
watchlist, diary, stats and recommendations, and other users' pages) depends
only on the URL, the origin, the ``Origin`` header (CORS) and, with a token,
on who calls. Once computed, its status, headers and body are stored in Redis
beside the versions it was computed at, and the next such request is answered
by one Lua script that counts the request against the caller's rate, checks
the versions and returns the bytes: no URL dispatch, no DRF objects, no query,
no serialiser, no renderer, and none of the middlewares below this one.
``ResponseCacheMiddleware`` comes right after the request log, so the
headers the others add (security, CORS, ETag, Vary, X-Frame-Options,
Content-Security-Policy) are part of what is stored, and a stored response
still answers a conditional request as ``ConditionalGetMiddleware`` does (a
304 for its ETag). The script's count is the rate's: on a miss, DRF's
throttle reads it instead of counting again (``movieratings.throttling``).

Exactness comes from the versions. Every committed write to a movie, a genre
or a rating bumps the catalogue's (``movies.cache``); a new recommender model
changes the announced one (``recommendations.serving``); every write of what a
user's pages show, and of the user row itself, bumps that user's
(``users.versions``). On a miss the script returns the versions as they were
before the response was computed, and the entry is stored with those: if a
write committed meanwhile, the entry is out of date at once and never served.

Only a view that says so is stored: ``cache_versions`` on its class names the
versions its GET responses depend on: ``"catalogue"``, ``"recommender"``,
``"users"`` (the public users it lists) and ``"profile"`` (the user its URL's
``id`` names). A request with a token adds the caller's version, and its
entries are the caller's alone, under their id and the token's version: the
token is checked here as authentication checks it (signature, expiry, type;
once per token and process, then only its expiry), and what authentication
reads from the user row (that the user exists, is active, and still has the
token's version) cannot have changed while the caller's version is the
entry's. Anything else goes through Django as before:
an invalid token, a session cookie, ``?format=``, an ``Accept`` that does not
pick JSON, a method other than GET; and every request without Redis (the
in-process cache of development), while the breaker is open, or while this
process has a version bump pending.
"""

import functools
import logging
import random
import time
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.http import ConditionalGetMiddleware
from django.urls import Resolver404, resolve
from django_redis import get_redis_connection
from redis.exceptions import RedisError
from rest_framework.exceptions import AuthenticationFailed

from movieratings.logging import user_id_var
from movieratings.throttling import (
    COUNTED_REQUEST,
    AnonRateThrottle,
    UserRateThrottle,
    WindowRateThrottle,
)
from movieratings.versions import bumps
from movies import cache as catalogue_cache
from movies.cache import CATALOGUE_VERSION_KEY, query_key
from recommendations.serving import VERSION_KEY as RECOMMENDER_VERSION_KEY
from users.authentication import JWTAuthentication, token_user_id
from users.tokens import token_version
from users.versions import PUBLIC_USERS_VERSION_KEY, user_version_key

logger = logging.getLogger(__name__)

# What a view's ``cache_versions`` may name with a key of its own.
_SHARED_VERSIONS: Final = {
    "catalogue": CATALOGUE_VERSION_KEY,
    "recommender": RECOMMENDER_VERSION_KEY,
    "users": PUBLIC_USERS_VERSION_KEY,
}
# The version keys that are not counters: their owner sets them when absent
# (the recommender's announces a model), the script never does.
_NOT_COUNTERS: Final = frozenset({RECOMMENDER_VERSION_KEY})
# The user whose pages a view shows, named by this URL argument.
_PROFILE = "profile"
_PROFILE_KWARG = "id"
# Changes with the layout of an entry, or when a release changes what a
# stored response holds, so that no release serves another's bytes.
FORMAT = 3
_STORED_STATUS = 200
# The headers of a conditional request (RFC 9110, section 13.1).
_CONDITIONAL_HEADERS: Final = frozenset(
    {
        "HTTP_IF_MATCH",
        "HTTP_IF_NONE_MATCH",
        "HTTP_IF_MODIFIED_SINCE",
        "HTTP_IF_UNMODIFIED_SINCE",
    }
)
_JSON = "application/json"

# KEYS: the entry, the rate's counter and its window's opening time, then
# every version key the entry depends on. ARGV: the rate's number of requests
# (0: no rate), its period in seconds, the time now (seconds), a fresh
# version number, then per version key 1 if it is a counter, to be set to that
# number when absent. Returns {count, headers, body} on a hit,
# {count, false, false, version...} on a miss: the versions as they are now.
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
    if ARGV[i + 1] == '1' then
        redis.call('SET', KEYS[i], ARGV[4], 'NX')
    end
    reply[#reply + 1] = redis.call('GET', KEYS[i])
end
return reply
"""


@dataclass(frozen=True)
class _Caller:
    """Who sends a request with a valid token: the user and the token's version."""

    user_id: int
    token_version: int


def _json_get(request: HttpRequest) -> bool:
    """Whether ``request`` is a GET whose answer only the URL, the origin and
    the token can change."""
    if request.method != "GET":
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "format" in request.GET:
        return False
    accept = request.META.get("HTTP_ACCEPT", "*/*").strip()
    return accept in ("", "*/*") or accept.startswith(_JSON)


class _NotACaller(Exception):
    """A valid token that names no user (only a leaked key could sign one)."""


@functools.lru_cache(maxsize=10_000)
def _validated(raw: bytes) -> tuple[_Caller, float]:
    """Check a raw token as authentication does; return who it names and the
    time (seconds since the epoch) until which it is valid.

    The answer for one token's bytes never changes but by its expiry, which
    the caller checks, so each token is checked once per process; an invalid
    token raises and is checked again each time (exceptions are not cached).
    """
    authentication = JWTAuthentication()
    token = authentication.get_validated_token(raw)
    user_id, version, expiry = token_user_id(token), token_version(token), token["exp"]
    if (
        user_id is None
        or not isinstance(version, int)
        or isinstance(expiry, bool)
        or not isinstance(expiry, int | float)
    ):
        raise _NotACaller
    # Valid while exp > now - leeway (simplejwt's check and PyJWT's alike).
    leeway = token.get_token_backend().get_leeway().total_seconds()
    return _Caller(user_id=user_id, token_version=version), expiry + leeway


def _token_caller(request: HttpRequest) -> _Caller | None:
    """Return who a valid bearer token names, None for any other header."""
    authentication = JWTAuthentication()
    header = authentication.get_header(request)  # type: ignore[arg-type]
    try:
        raw = authentication.get_raw_token(header) if header else None
        if raw is None:
            return None
        caller, valid_until = _validated(raw)
    except (AuthenticationFailed, _NotACaller):  # Malformed, invalid, no user.
        return None
    return caller if time.time() < valid_until else None


@functools.lru_cache(maxsize=4096)
def _declared_versions(path_info: str) -> tuple[tuple[str, ...], object] | None:
    """Return what the view of ``path_info`` declares (``cache_versions``) and
    its URL's ``id`` argument; None if it declares nothing.

    The URL configuration is fixed while a process runs: a path always
    resolves to the same view, so each is resolved once.
    """
    try:
        match = resolve(path_info)
    except Resolver404:
        return None
    view_class = getattr(match.func, "cls", None) or getattr(
        match.func, "view_class", None
    )
    declared = getattr(view_class, "cache_versions", None)
    if declared is None:
        return None
    return tuple(declared), match.kwargs.get(_PROFILE_KWARG)


@receiver(setting_changed)
def _forget_what_settings_decided(**kwargs: Any) -> None:
    """Settings decide the views of paths and the validity of tokens: tests
    that change them start afresh."""
    _declared_versions.cache_clear()
    _validated.cache_clear()


def _version_keys(request: HttpRequest, caller: _Caller | None) -> list[str] | None:
    """Return the keys (unprefixed) of the versions the response to
    ``request`` depends on, None if it is not to be cached."""
    found = _declared_versions(request.path_info)
    if found is None:
        return None
    declared, profile = found
    keys = []
    for name in declared:
        if name == _PROFILE:
            if caller is None or not isinstance(profile, int):
                return None  # Such pages are for signed-in callers.
            keys.append(user_version_key(profile))
        else:
            keys.append(_SHARED_VERSIONS[name])
    if caller is not None:
        keys.append(user_version_key(caller.user_id))
    return keys


def _serves_cached() -> bool:
    """Whether no version bump of this process waits for Redis to answer: the
    catalogue's, and the users' (the same bumps in the application)."""
    return catalogue_cache.catalogue.serves_cached() and bumps.serves_cached()


def _entry_key(request: HttpRequest, caller: _Caller | None) -> str:
    origin = f"{request.scheme}://{request.get_host()}"
    whose = (
        "public" if caller is None else f"user:{caller.user_id}:{caller.token_version}"
    )
    # CORS answers each requesting origin with headers of its own.
    cors = request.META.get("HTTP_ORIGIN", "")
    return cache.make_key(
        query_key(
            f"response:{FORMAT}:{whose}:{cors}:{origin}{request.path}", request.GET
        )
    )


def _counter(
    caller: _Caller | None, request: HttpRequest
) -> tuple[WindowRateThrottle, str | None]:
    """Return the throttle that counts the caller's requests, and its key."""
    # The keys of DRF's throttles, made here before authentication has run.
    throttle: WindowRateThrottle
    if caller is None:
        throttle = AnonRateThrottle()
        ident: object = throttle.get_ident(request)  # type: ignore[arg-type]
    else:
        throttle, ident = UserRateThrottle(), caller.user_id
    return throttle, throttle.cache_format % {"scope": throttle.scope, "ident": ident}


def _encode_headers(response: HttpResponse) -> bytes:
    return "\r\n".join(f"{name}: {value}" for name, value in response.items()).encode()


def _decode_headers(raw: bytes) -> list[tuple[str, str]]:
    headers = []
    for line in raw.decode().split("\r\n"):
        name, _, value = line.partition(": ")
        headers.append((name, value))
    return headers


class ResponseCacheMiddleware:
    """Serve and store cacheable responses (see the module docstring)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        self.enabled = bool(settings.REDIS_URL)
        self._script: Any = None
        # What answers a conditional request below: the same for stored bytes.
        self._conditional = ConditionalGetMiddleware(get_response)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if not self.enabled or not _json_get(request):
            return self.get_response(request)
        caller = None
        if "HTTP_AUTHORIZATION" in request.META:
            caller = _token_caller(request)
            if caller is None:
                return self.get_response(request)  # Authentication answers.
        version_keys = _version_keys(request, caller)
        if version_keys is None or not _serves_cached():
            return self.get_response(request)
        throttle, counter = _counter(caller, request)
        if throttle.cache is not cache:
            # The script counts in Redis: only where the throttle counts too.
            return self.get_response(request)
        rate = 0 if throttle.rate is None or counter is None else throttle.num_requests
        entry = _entry_key(request, caller)
        try:
            reply = self._run(
                keys=[
                    entry,
                    cache.make_key(counter or "-"),
                    cache.make_key(f"{counter}:opened"),
                    *(cache.make_key(key) for key in version_keys),
                ],
                args=[
                    rate,
                    throttle.duration if rate else 0,
                    int(throttle.timer()),
                    time.time_ns(),
                    *(int(key not in _NOT_COUNTERS) for key in version_keys),
                ],
            )
        except RedisError:
            # Redis is down, hung (the breaker fails calls at once) or
            # refused the script: Django answers as it would without it.
            return self.get_response(request)
        count, headers, body = reply[0], reply[1], reply[2]
        if rate:
            setattr(request, COUNTED_REQUEST, (counter, count))
            if count > rate:
                # DRF's throttle answers 429, with its Retry-After.
                return self.get_response(request)
        if body is not None:
            if caller is not None:
                user_id_var.set(str(caller.user_id))
            response = HttpResponse(body, status=_STORED_STATUS)
            for name, value in _decode_headers(headers):
                response[name] = value
            if _CONDITIONAL_HEADERS.isdisjoint(request.META):
                return response
            return self._conditional.process_response(request, response)
        response = self.get_response(request)
        stored_keys = [cache.make_key(key) for key in version_keys]
        self._store(response, entry, list(zip(stored_keys, reply[3:], strict=True)))
        return response

    def _run(self, *, keys: list[str], args: list[int]) -> list[Any]:
        if self._script is None:
            self._script = get_redis_connection("default").register_script(_SCRIPT)
        return list(self._script(keys=keys, args=args))

    def _store(
        self,
        response: HttpResponse,
        entry: str,
        versions: list[tuple[str, bytes | None]],
    ) -> None:
        if (
            response.status_code != _STORED_STATUS
            or response.streaming
            or response.cookies
            or not response.get("Content-Type", "").startswith(_JSON)
            or not _serves_cached()
        ):
            return
        fields: dict[str, bytes | str | int] = {
            "headers": _encode_headers(response),
            "body": response.content,
            "n": len(versions),
        }
        for index, (key, version) in enumerate(versions, start=1):
            if version is None:
                return  # Not set: Redis lost it meanwhile.
            fields[f"k{index}"] = key
            fields[f"v{index}"] = version
        timeout = int(settings.CACHE_TIMEOUT * random.uniform(0.9, 1.1))  # noqa: S311
        try:
            pipe = get_redis_connection("default").pipeline(transaction=True)
            pipe.delete(entry)
            pipe.hset(entry, mapping=fields)
            pipe.expire(entry, timeout)
            pipe.execute()
        except RedisError:
            logger.warning("Could not store a response", exc_info=True)
