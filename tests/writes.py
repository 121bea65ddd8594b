"""What the tests of every write path (catalogue, users) share."""

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
