import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import transaction
from django.test import RequestFactory

from movieratings.routers import (
    PRIMARY,
    REPLICA,
    PinWritesToPrimaryMiddleware,
    PrimaryReplicaRouter,
)
from movies.models import Movie

router = PrimaryReplicaRouter()


def test_router_sends_reads_outside_transactions_to_replica():
    assert router.db_for_read(Movie) == REPLICA


@pytest.mark.django_db(transaction=True)
def test_router_keeps_reads_inside_a_transaction_on_primary():
    with transaction.atomic():
        assert router.db_for_read(Movie) == PRIMARY


def test_router_sends_writes_and_migrations_to_primary():
    assert router.db_for_write(Movie) == PRIMARY
    assert router.allow_migrate(PRIMARY, "movies")
    assert not router.allow_migrate(REPLICA, "movies")


@pytest.mark.parametrize(
    ("method", "expected"),
    [("get", REPLICA), ("head", REPLICA), ("post", PRIMARY), ("put", PRIMARY)],
)
def test_pin_middleware_reads_from_primary_during_unsafe_requests(method, expected):
    seen = []

    def view(request):
        seen.append(router.db_for_read(Movie))
        return None

    PinWritesToPrimaryMiddleware(view)(getattr(RequestFactory(), method)("/"))
    assert seen == [expected]
    assert router.db_for_read(Movie) == REPLICA


def test_settings_with_replica_url_route_through_the_router():
    code = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "print(json.dumps([s.DATABASES['replica']['NAME'], s.DATABASE_ROUTERS,"
        " s.MIDDLEWARE[1]]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "movieratings.settings",
        "DJANGO_ENV": "test",
        "DATABASE_URL": "sqlite:////tmp/primary.sqlite3",
        "DATABASE_REPLICA_URL": "sqlite:////tmp/replica.sqlite3",
    }
    output = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    name, routers, middleware = json.loads(output)
    assert name == "/tmp/replica.sqlite3"
    assert routers == ["movieratings.routers.PrimaryReplicaRouter"]
    assert middleware == "movieratings.routers.PinWritesToPrimaryMiddleware"
