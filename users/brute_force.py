"""Sign-in lock-out through django-axes: one rule for the API and the admin.

django-axes sees every sign-in through Django's ``authenticate()``: the admin's
login form and the API's token endpoint (simplejwt's serializer hands it the
request). Its backend (first in ``AUTHENTICATION_BACKENDS``) refuses a locked
out sign-in before any password is checked, and its signal handler counts the
failures. Both surfaces therefore share one count and one rule.

Failures are counted per (account, client) and per client
(``AXES_LOCKOUT_PARAMETERS``), each against its own limit, so that the lock-out
slows the attacker and not the owner: ``LOGIN_MAX_FAILURES_PER_ACCOUNT`` wrong
passwords for one account lock that client out of that account, and
``LOGIN_MAX_FAILURES_PER_CLIENT`` failures lock a client out of every account,
while the owner signs in from their own client. A lock-out lasts
``LOGIN_LOCKOUT_SECONDS`` after the failure that caused it; sign-ins refused
during it do not prolong it, so its ``Retry-After`` counts down. A successful
sign-in forgets that client's failures for that account only.

The counts live in the database (axes's database handler) rather than the
cache, so sign-ins stay slowed while Redis is unreachable. This replaces a
hand-written cache counter that also counted per account alone, which let
anyone lock a victim out of their own account.
"""

import ipaddress
import math
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, cast

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from users.models import User


def failure_limit(request: HttpRequest, credentials: dict[str, Any] | None) -> int:
    """Return the failures that lock a client out of one account."""
    return int(settings.LOGIN_MAX_FAILURES_PER_ACCOUNT)


def cool_off(request: HttpRequest | None = None) -> timedelta:
    """Return how long a lock-out lasts after the failure that caused it."""
    return timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)


def client_ip(request: HttpRequest) -> str | None:
    """Return the client address, as the API's throttles identify clients.

    ``NUM_PROXIES`` decides whether ``X-Forwarded-For`` is read; a value that
    is not an address (a client may send anything there when no proxy
    rewrites it) falls back to the connection's address.
    """
    # get_ident reads request.META only, which Django's and DRF's requests share.
    ident = BaseThrottle().get_ident(cast(Request, request))
    for candidate in (ident, request.META.get("REMOTE_ADDR")):
        try:
            return str(ipaddress.ip_address(str(candidate).strip()))
        except ValueError:
            continue
    return None


def signin_username(
    request: HttpRequest, credentials: dict[str, Any] | None
) -> str | None:
    """Return the account a sign-in names: its email, normalised.

    The API passes ``email`` to ``authenticate()``, the admin's form
    ``username``; email is unique case-insensitively, so case is folded.
    """
    credentials = credentials or {}
    value = credentials.get(User.USERNAME_FIELD) or credentials.get("username")
    if not isinstance(value, str):
        return None
    return value.strip().lower()[: AccessAttempt._meta.get_field("username").max_length]


def _limit(parameter: str | list[str]) -> int:
    if "username" in parameter:
        return int(settings.LOGIN_MAX_FAILURES_PER_ACCOUNT)
    return int(settings.LOGIN_MAX_FAILURES_PER_CLIENT)


class LockoutHandler(AxesDatabaseHandler):
    """axes's database handler with a limit of its own per parameter set.

    axes compares the failures of every parameter set with one limit; here
    (account, client) has ``LOGIN_MAX_FAILURES_PER_ACCOUNT`` and the client
    alone ``LOGIN_MAX_FAILURES_PER_CLIENT``.
    """

    def _counted(
        self, request: HttpRequest, credentials: dict[str, Any] | None
    ) -> Iterator[tuple[QuerySet[AccessAttempt], int]]:
        parameters = get_lockout_parameters(request, credentials)
        attempts = self.get_user_attempts(request, credentials)
        for parameter, recent in zip(parameters, attempts, strict=True):
            yield recent, _limit(parameter)

    def get_failures(self, request: HttpRequest, credentials: Any = None) -> int:
        """Return the failures as counted against ``AXES_FAILURE_LIMIT``.

        The parameter set nearest its own limit decides: a client that has
        spent all its failures for the account, or all its failures, is at
        the limit axes compares with.
        """
        headroom = min(
            limit - (recent.aggregate(total=Sum("failures_since_start"))["total"] or 0)
            for recent, limit in self._counted(request, credentials)
        )
        return failure_limit(request, credentials) - headroom

    def lockout_remaining(
        self, request: HttpRequest, credentials: dict[str, Any] | None
    ) -> timedelta:
        """Return how long sign-ins like this one stay refused (zero if not).

        A failure counts for ``cool_off()`` after it happened: a locked set
        opens again when its newest failures no longer reach its limit.
        """
        now = timezone.now()
        ends = [now]
        for recent, limit in self._counted(request, credentials):
            total = 0
            newest_first = recent.order_by("-attempt_time").values_list(
                "attempt_time", "failures_since_start"
            )
            for attempt_time, failures in newest_first[:limit]:
                total += failures
                if total >= limit:
                    ends.append(attempt_time + get_cool_off(request))
                    break
        return max(ends) - now

    def user_logged_in(
        self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any
    ) -> None:
        super().user_logged_in(sender, request, user, **kwargs)
        forget_failures(request=request, email=user.get_username())


def forget_failures(*, request: HttpRequest, email: str) -> None:
    """Forget this client's failures for this account after a sign-in.

    Its failures for other accounts still count against the client.
    """
    AccessAttempt.objects.filter(
        username=signin_username(request, {"email": email}),
        ip_address=client_ip(request),
    ).delete()


def retry_after(*, request: HttpRequest, email: str | None) -> int:
    """Return the whole seconds until this client may sign in to ``email`` again."""
    AxesProxyHandler.update_request(request)  # the client axes identified
    remaining = LockoutHandler().lockout_remaining(request, {"email": email})
    return max(1, math.ceil(remaining.total_seconds()))


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None,
    credentials: dict[str, Any] | None,
) -> HttpResponse:
    """Render the admin's page for a locked-out sign-in: 429 with Retry-After.

    The API answers its own JSON 429 (``AuthViewSet.token``); axes's middleware
    calls this for the admin's login form.
    """
    email = signin_username(request, credentials)
    wait = retry_after(request=request, email=email)
    response = render(
        request,
        "users/locked_out.html",
        {
            **admin.site.each_context(request),
            "title": "Too many failed sign-ins",
            "minutes": math.ceil(wait / 60),
        },
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response
