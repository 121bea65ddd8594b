"""schemathesis hooks of the fuzzing runs (loaded through ``SCHEMATHESIS_HOOKS``).

The run's account comes from the environment that ``run_schemathesis`` sets:
``FUZZ_BASE_URL``, ``FUZZ_EMAIL``, ``FUZZ_PASSWORD``, ``FUZZ_ACCESS`` (its
access token) and ``FUZZ_SIGNUP`` ("1": the account is a basic one that may be
replaced by a new sign-up).

No operation is left out of the runs. The hooks make signing out and changing
the password succeed for real: a schema-valid sign-out gets a refresh token of
the caller's own, and a schema-valid password change the current password.
Both end the account's access tokens, so the hooks then sign in again.
"""

import json
import os
import secrets
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import schemathesis
from schemathesis import Case, HookContext, Response
from schemathesis.auths import AuthContext
from schemathesis.core.failures import AcceptedNegativeData, Failure
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import negated_parameters

TIMEOUT = 20.0
# gunicorn's limit_request_line (its default; gunicorn.conf.py keeps it).
GUNICORN_LIMIT_REQUEST_LINE = 4094
SIGN_OUT = ("POST", "/api/v1/auth/logout/")
CHANGE_PASSWORD = ("POST", "/api/v1/users/me/password/")
CHANGE_USER = {("PATCH", "/api/v1/users/{id}/"), ("PATCH", "/api/v1/users/me/")}


def _call(
    method: str, path: str, body: dict[str, Any] | None = None, token: str = ""
) -> tuple[int, Any]:
    """Send one JSON request to the server; return the status and the JSON body."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 (our own http:// server)
        os.environ["FUZZ_BASE_URL"] + path,
        data=None if body is None else json.dumps(body).encode(),
        headers=headers,
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@dataclass
class FuzzAccount:
    """The account a run fuzzes as, followed through what the fuzzer does to it."""

    email: str = field(default_factory=lambda: os.environ["FUZZ_EMAIL"])
    password: str = field(default_factory=lambda: os.environ["FUZZ_PASSWORD"])
    access: str = field(default_factory=lambda: os.environ["FUZZ_ACCESS"])
    replaceable: bool = field(
        default_factory=lambda: os.environ.get("FUZZ_SIGNUP") == "1"
    )
    id: int | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)

    def valid_access(self) -> str:
        """Return an access token that works, signing up a replacement if need be.

        The fuzzer may delete its own basic account (``DELETE users/{id}/``
        with its own id answers 204). Every request then gets the documented
        401; rather than fuzzing the rest of the run anonymously, a fresh basic
        account takes its place. An admin cannot delete, demote or deactivate
        itself, so the admin's token lives through its run.
        """
        with self.lock:
            status, body = _call("GET", "/api/v1/users/me/", token=self.access)
            if status == 200:
                self.id = int(body["id"])
                return self.access
            if status != 401 or not self.replaceable:
                raise RuntimeError(f"the token of {self.email} stopped working")
            local, _, domain = self.email.partition("@")
            email = f"{local.split('+')[0]}+{secrets.token_hex(4)}@{domain}"
            # The run's own password: the fuzzer may have changed the old one
            # to something that no longer passes the validators.
            password = os.environ["FUZZ_PASSWORD"]
            status, body = _call(
                "POST",
                "/api/v1/auth/signup/",
                {
                    "email": email,
                    "username": email.partition("@")[0],
                    "password": password,
                },
            )
            if status != 201:
                raise RuntimeError(f"sign-up of a replacement failed: {status} {body}")
            self.email, self.password = email, password
            self.access = str(body["access"])
            self.id = int(body["user"]["id"])
            return self.access

    def sign_in_again(self) -> None:
        """Take a new access token (signing out and a new password end the old)."""
        with self.lock:
            credentials = {"email": self.email, "password": self.password}
            status, body = _call("POST", "/api/v1/auth/token/", credentials)
            if status == 200:
                self.access = str(body["access"])

    def fresh_refresh_token(self) -> str | None:
        """Sign in again and return the new refresh token (None if that fails)."""
        with self.lock:
            credentials = {"email": self.email, "password": self.password}
        status, body = _call("POST", "/api/v1/auth/token/", credentials)
        return str(body["refresh"]) if status == 200 else None


ACCOUNT = FuzzAccount()


@schemathesis.auth()
class FuzzAccountAuth:
    """Bearer token of the run's account, checked again after a 401.

    schemathesis asks for a new token whenever a request carrying it gets a
    401. Most such 401s are the operation's own answer (a refresh token that
    the fuzzer made up), so the token is kept while ``users/me/`` accepts it.
    """

    def get(self, case: Case, ctx: AuthContext) -> str:
        return ACCOUNT.valid_access()

    def set(self, case: Case, data: str, ctx: AuthContext) -> None:
        if case.headers is None:
            case.headers = {}
        case.headers["Authorization"] = f"Bearer {data}"


def _operation(case: Case) -> tuple[str, str]:
    return case.operation.method.upper(), case.operation.path


def _is_positive(case: Case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


@schemathesis.hook
def before_call(ctx: HookContext, case: Case, kwargs: dict[str, Any]) -> None:
    """Give schema-valid sign-outs and password changes the caller's own secrets."""
    if not _is_positive(case) or not isinstance(case.body, dict):
        return
    if _operation(case) == SIGN_OUT:
        refresh = ACCOUNT.fresh_refresh_token()
        if refresh is not None:
            case.body["refresh"] = refresh
    elif _operation(case) == CHANGE_PASSWORD:
        with ACCOUNT.lock:
            case.body["old_password"] = ACCOUNT.password


@schemathesis.hook
def after_call(ctx: HookContext, case: Case, response: Response) -> None:
    """Follow the account's password and email as the fuzzer changes them."""
    body = case.body if isinstance(case.body, dict) else {}
    with ACCOUNT.lock:
        if (
            _operation(case) == CHANGE_PASSWORD
            and response.status_code == 204
            and body.get("old_password") == ACCOUNT.password
        ):
            ACCOUNT.password = str(body["new_password"])
            ACCOUNT.sign_in_again()
        elif _operation(case) == SIGN_OUT and response.status_code == 204:
            ACCOUNT.sign_in_again()
        elif _operation(case) in CHANGE_USER and response.status_code == 200:
            changed = response.json()
            if isinstance(changed, dict) and changed.get("id") == ACCOUNT.id:
                ACCOUNT.email = str(changed["email"])


def _wire_value_is_valid(case: Case, name: str, texts: list[str]) -> bool:
    """Return whether the server reads query parameter ``name`` as a valid value.

    Only string parameters and lists of strings are judged (the texts sent are
    their values as they are); anything else counts as invalid.
    """
    parameter = case.operation.query.get(name)
    if parameter is None:
        return False
    definition: dict[str, Any] = getattr(parameter, "definition", {})
    schema: dict[str, Any] = definition.get("schema", {})
    if definition.get("allowEmptyValue") and texts == [""]:
        return True
    value: Any
    items: dict[str, Any] = schema.get("items", {})
    if schema.get("type") == "array" and items.get("type") == "string":
        exploded = definition.get("explode", True)
        value = texts if exploded else ",".join(texts).split(",")
    elif schema.get("type") == "string":
        value = texts[-1]  # Django's QueryDict.get() reads the last one.
    else:
        return False
    return bool(jsonschema.Draft4Validator(schema).is_valid(value))


def _refused_by_gunicorn(response: Response) -> bool:
    """Return whether gunicorn refused the request line before Django saw it."""
    parts = urlsplit(str(response.request.url or ""))
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    request_line = f"{response.request.method} {target} HTTP/1.1"
    return (
        response.status_code == 414
        and len(request_line.encode()) > GUNICORN_LIMIT_REQUEST_LINE
    )


@schemathesis.hook
def filter_failure(
    ctx: HookContext, failure: Failure, case: Case, response: Response
) -> bool:
    """Drop failures that are not about the API. Two kinds, both exact.

    gunicorn answers a request line over 4094 bytes (a query string of
    hundreds of generated values) itself, with an HTML 414, before the request
    reaches Django; that is the HTTP server's limit, like a proxy's would be.

    Every query parameter allows an empty value, which schemathesis models as
    ``anyOf: [<schema>, {enum: [""]}]``. Negating the second branch gives a
    non-empty string; for a string parameter that is still a valid value, and
    for a repeatable list of strings (``?genre=x``) it is a valid one-item list.
    schemathesis itself sees through the first case unless a list parameter is
    also in the query, and never through the second. So a "negative data
    accepted" failure is dropped only if the case negated nothing but query
    parameters and the server read each of them, from the query string
    actually sent, as a valid value.
    """
    if _refused_by_gunicorn(response):
        return False
    if not isinstance(failure, AcceptedNegativeData) or case.meta is None:
        return True
    other_locations = (
        ParameterLocation.PATH,
        ParameterLocation.HEADER,
        ParameterLocation.COOKIE,
        ParameterLocation.BODY,
    )
    if any(case.meta.is_negative_at(location) for location in other_locations):
        return True
    negated = set(negated_parameters(case.meta))
    if not negated or any(loc != ParameterLocation.QUERY for _name, loc in negated):
        return True
    url = str(response.request.url or "")
    sent = parse_qs(urlsplit(url).query, keep_blank_values=True)
    return not all(
        name not in sent or _wire_value_is_valid(case, name, sent[name])
        for name, _location in negated
    )
