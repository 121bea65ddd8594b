"""Curators see diaries in the Django admin and cannot change them."""

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from diary.models import DiaryEntry
from diary.tests.factories import DiaryEntryFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_site(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def test_curators_list_search_and_view_diary_entries(admin_site):
    entry = DiaryEntryFactory.create()
    DiaryEntryFactory.create()
    changelist = reverse("admin:diary_diaryentry_changelist")

    listing = admin_site.get(changelist)
    searched = admin_site.get(changelist, {"q": entry.movie.title})
    detail = admin_site.get(reverse("admin:diary_diaryentry_change", args=[entry.pk]))

    assert listing.status_code == HTTPStatus.OK
    assert listing.context["cl"].result_count == 2
    assert searched.context["cl"].result_count == 1
    assert detail.status_code == HTTPStatus.OK
    assert b'name="_save"' not in detail.content  # Read-only: no save button.


def test_curators_cannot_add_change_or_delete_diary_entries(admin_site):
    entry = DiaryEntryFactory.create()
    change = reverse("admin:diary_diaryentry_change", args=[entry.pk])

    add = admin_site.get(reverse("admin:diary_diaryentry_add"))
    post = admin_site.post(change, {"user": entry.user_id, "movie": entry.movie_id})
    delete = admin_site.post(
        reverse("admin:diary_diaryentry_delete", args=[entry.pk]),
        {"post": "yes"},
    )

    assert add.status_code == HTTPStatus.FORBIDDEN
    assert post.status_code == HTTPStatus.FORBIDDEN
    assert delete.status_code == HTTPStatus.FORBIDDEN
    assert DiaryEntry.objects.filter(pk=entry.pk).exists()


def test_basic_users_cannot_see_diaries_in_the_admin():
    client = Client()
    client.force_login(UserFactory.create())

    response = client.get(reverse("admin:diary_diaryentry_changelist"))

    assert response.status_code == HTTPStatus.FOUND  # To the admin's login.
