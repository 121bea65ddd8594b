"""Curators see watchlists in the Django admin and cannot change them."""

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from users.tests.factories import UserFactory
from watchlist.models import WatchlistEntry
from watchlist.tests.factories import WatchlistEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_site(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_curators_list_search_and_view_watchlist_entries(admin_site):
    entry = WatchlistEntryFactory.create()
    WatchlistEntryFactory.create()
    changelist = reverse("admin:watchlist_watchlistentry_changelist")

    listing = admin_site.get(changelist)
    searched = admin_site.get(changelist, {"q": entry.movie.title})
    detail = admin_site.get(
        reverse("admin:watchlist_watchlistentry_change", args=[entry.pk])
    )

    assert listing.status_code == HTTPStatus.OK
    assert listing.context["cl"].result_count == 2
    assert searched.context["cl"].result_count == 1
    assert detail.status_code == HTTPStatus.OK
    assert b'name="_save"' not in detail.content  # Read-only: no save button.


def test_curators_cannot_add_change_or_delete_watchlist_entries(admin_site):
    entry = WatchlistEntryFactory.create()
    change = reverse("admin:watchlist_watchlistentry_change", args=[entry.pk])

    add = admin_site.get(reverse("admin:watchlist_watchlistentry_add"))
    post = admin_site.post(change, {"user": entry.user_id, "movie": entry.movie_id})
    delete = admin_site.post(
        reverse("admin:watchlist_watchlistentry_delete", args=[entry.pk]),
        {"post": "yes"},
    )

    assert add.status_code == HTTPStatus.FORBIDDEN
    assert post.status_code == HTTPStatus.FORBIDDEN
    assert delete.status_code == HTTPStatus.FORBIDDEN
    assert WatchlistEntry.objects.filter(pk=entry.pk).exists()


def test_basic_users_cannot_see_watchlists_in_the_admin():
    client = Client()
    client.force_login(UserFactory.create())

    response = client.get(reverse("admin:watchlist_watchlistentry_changelist"))

    assert response.status_code == HTTPStatus.FOUND  # To the admin's login.
