"""Fixtures shared by every app's tests."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from movieratings.versions import bumps
from users.models import Role, User
from users.tests.factories import UserFactory


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Skip PostgreSQL-only tests on SQLite and Redis tests without Redis."""
    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL)"))
        if "redis" in item.keywords and not settings.REDIS_URL:
            item.add_marker(pytest.mark.skip(reason="needs Redis (REDIS_URL)"))


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Redis: delete this test process's keys only (clear() would flush the
    # whole database under the other test processes).
    delete_pattern = getattr(cache, "delete_pattern", None)
    if delete_pattern is not None:
        delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _no_pending_version_bumps() -> Iterator[None]:
    """End each test with no version bump left to retry: a retry runs in a
    background thread, which would reach whatever cache the next test
    configures (and count against its fake Redis)."""
    yield
    bumps.reset()


@pytest.fixture(autouse=True)
def _on_commit_runs_at_once(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run on_commit callbacks at once in tests that never commit.

    Ordinary database tests run inside one transaction that is rolled back, so
    Django would drop the callbacks, cache invalidation among them. Tests
    marked ``django_db(transaction=True)`` commit for real and keep Django's
    behaviour.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        return
    if {"transactional_db", "django_capture_on_commit_callbacks"} & set(
        request.fixturenames
    ):
        return

    def run_now(
        func: Callable[[], object], using: str | None = None, robust: bool = False
    ) -> None:
        func()

    monkeypatch.setattr(transaction, "on_commit", run_now)


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db: None) -> User:
    return UserFactory.create()


@pytest.fixture
def other_user(db: None) -> User:
    return UserFactory.create()


@pytest.fixture
def admin_user(db: None) -> User:
    return UserFactory.create(role=Role.ADMIN)


@pytest.fixture
def client_for() -> Callable[[User | None], APIClient]:
    """Return a factory of API clients authenticated with a real JWT."""

    def make(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            token = RefreshToken.for_user(user).access_token
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return make


@pytest.fixture
def user_client(
    client_for: Callable[[User | None], APIClient], user: User
) -> APIClient:
    return client_for(user)


@pytest.fixture
def admin_client(
    client_for: Callable[[User | None], APIClient], admin_user: User
) -> APIClient:
    return client_for(admin_user)


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def response_cache_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send every request through Django, as on a miss of the stored responses
    (movieratings/response_cache.py) or without Redis: for query budgets,
    which are what the views cost."""
    from movieratings.response_cache import ResponseCacheMiddleware

    def through_django(self: ResponseCacheMiddleware, request: Any) -> Any:
        return self.get_response(request)

    monkeypatch.setattr(ResponseCacheMiddleware, "__call__", through_django)
