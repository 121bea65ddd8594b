"""What the tests of every write path (catalogue, users) share."""

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import pytest
from django.core.cache import cache


def forget_everything_cached() -> None:
    """Empty the cache, so that the next reads are what the database says."""
    delete_pattern = getattr(cache, "delete_pattern", None)
    if delete_pattern is not None:
        delete_pattern("*")  # This test process's keys only.
    else:
        cache.clear()


def ok(response: Any) -> None:
    """Fail unless ``response`` is a success or a redirect."""
    assert response.status_code < HTTPStatus.BAD_REQUEST, response.content


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    """Hash passwords fast: the cases sign in and change passwords."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def assert_write_shows(reads: Callable[[], Any], write: Callable[[], Any]) -> None:
    """Warm the cached ``reads``, ``write``, and check that the reads now are
    what the database says (read anew with an empty cache), and changed."""
    before = reads()
    assert reads() == before  # Served from the cache by now.

    write()

    cached = reads()
    forget_everything_cached()
    fresh = reads()
    assert fresh != before, "this write changes nothing the cached reads show"
    assert cached == fresh
