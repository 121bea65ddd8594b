import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from diary.models import DiaryEntry, latest_watch_date
from diary.services import (
    diary_entries_add_many,
    diary_entry_create,
    diary_entry_delete,
    diary_entry_update,
)
from diary.tests.factories import DiaryEntryFactory
from movies.services import movie_delete
from movies.tests.factories import MovieFactory
from ratings.models import Rating
from users.services import user_delete
from users.tests.factories import UserFactory
from watchlist.models import WatchlistEntry
from watchlist.services import watchlist_add

pytestmark = pytest.mark.django_db

DAY = datetime.date(2024, 3, 9)


def _rating(user, movie) -> tuple[Decimal, str] | None:
    return (
        Rating.objects.filter(user=user, movie=movie)
        .values_list("score", "review")
        .first()
    )


def test_diary_entry_create_without_a_score_rates_nothing(user):
    movie = MovieFactory.create()

    entry = diary_entry_create(user=user, movie=movie, watched_on=DAY, review="Hm.")

    assert (entry.watched_on, entry.score, entry.review) == (DAY, None, "Hm.")
    assert _rating(user, movie) is None


def test_diary_entry_create_with_a_score_rates_the_film(user, assert_aggregates_exact):
    movie = MovieFactory.create()
    watchlist_add(user=user, movie=movie)

    entry = diary_entry_create(
        user=user, movie=movie, watched_on=DAY, score=Decimal("4.5"), review="Yes."
    )

    assert (entry.score, entry.review) == (Decimal("4.5"), "Yes.")
    assert _rating(user, movie) == (Decimal("4.5"), "Yes.")
    assert not WatchlistEntry.objects.filter(user=user).exists()
    assert_aggregates_exact()


def test_a_later_entry_with_a_score_changes_the_rating_and_keeps_its_review(
    user, assert_aggregates_exact
):
    movie = MovieFactory.create()
    diary_entry_create(
        user=user, movie=movie, watched_on=DAY, score=Decimal(3), review="Fine."
    )

    diary_entry_create(
        user=user,
        movie=movie,
        watched_on=DAY + datetime.timedelta(days=400),
        score=Decimal(5),
    )

    assert _rating(user, movie) == (Decimal(5), "Fine.")
    assert DiaryEntry.objects.filter(user=user, movie=movie).count() == 2
    assert_aggregates_exact()


def test_the_same_film_on_the_same_day_twice_is_refused_and_writes_nothing(
    user, assert_aggregates_exact
):
    movie = MovieFactory.create()
    diary_entry_create(user=user, movie=movie, watched_on=DAY, score=Decimal(2))

    with pytest.raises(ValidationError) as caught:
        diary_entry_create(user=user, movie=movie, watched_on=DAY, score=Decimal(5))

    assert "watched_on" in caught.value.message_dict
    assert _rating(user, movie) == (Decimal(2), "")
    assert DiaryEntry.objects.filter(user=user).count() == 1
    assert_aggregates_exact()


def test_a_viewing_in_the_future_is_refused(user):
    movie = MovieFactory.create()
    tomorrow = latest_watch_date() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as caught:
        diary_entry_create(
            user=user, movie=movie, watched_on=tomorrow, score=Decimal(3)
        )

    assert "watched_on" in caught.value.message_dict
    assert _rating(user, movie) is None
    assert not DiaryEntry.objects.exists()


def test_a_viewing_today_anywhere_on_earth_is_accepted(user):
    entry = diary_entry_create(
        user=user, movie=MovieFactory.create(), watched_on=latest_watch_date()
    )

    assert entry.pk is not None


def test_diary_entry_update_changes_the_entry_not_the_rating(user):
    movie = MovieFactory.create()
    entry = diary_entry_create(
        user=user, movie=movie, watched_on=DAY, score=Decimal(3), review="Ok."
    )

    diary_entry_update(entry=entry, score=None, review="Better than I said.")
    diary_entry_update(entry=entry, watched_on=DAY - datetime.timedelta(days=1))

    stored = DiaryEntry.objects.get(pk=entry.pk)
    assert (stored.watched_on, stored.score, stored.review) == (
        DAY - datetime.timedelta(days=1),
        None,
        "Better than I said.",
    )
    assert (entry.score, entry.review) == (None, "Better than I said.")
    assert _rating(user, movie) == (Decimal(3), "Ok.")


def test_diary_entry_update_onto_a_day_already_logged_is_refused(user):
    movie = MovieFactory.create()
    DiaryEntryFactory.create(user=user, movie=movie, watched_on=DAY)
    entry = DiaryEntryFactory.create(
        user=user, movie=movie, watched_on=DAY + datetime.timedelta(days=1)
    )

    with pytest.raises(ValidationError):
        diary_entry_update(entry=entry, watched_on=DAY)

    assert DiaryEntry.objects.get(pk=entry.pk).watched_on != DAY


def test_diary_entry_update_of_a_deleted_entry_raises(user):
    entry = DiaryEntryFactory.create(user=user)
    DiaryEntry.objects.filter(pk=entry.pk).delete()

    with pytest.raises(DiaryEntry.DoesNotExist):
        diary_entry_update(entry=entry, review="Gone.")


@pytest.mark.parametrize(
    "changes",
    [
        {"score": Decimal("0.7")},
        {"review": "x" * 2001},
        {"review": "nul\x00"},
        {"watched_on": latest_watch_date() + datetime.timedelta(days=1)},
    ],
)
def test_diary_entry_update_with_invalid_values_changes_nothing(user, changes):
    entry = DiaryEntryFactory.create(user=user, watched_on=DAY, review="Kept.")

    with pytest.raises(ValidationError):
        diary_entry_update(entry=entry, **changes)

    stored = DiaryEntry.objects.get(pk=entry.pk)
    assert (stored.watched_on, stored.review) == (DAY, "Kept.")


def test_diary_entry_delete_keeps_the_rating(user):
    movie = MovieFactory.create()
    entry = diary_entry_create(user=user, movie=movie, watched_on=DAY, score=Decimal(4))

    diary_entry_delete(entry=entry)

    assert not DiaryEntry.objects.exists()
    assert _rating(user, movie) == (Decimal(4), "")


def test_diary_entries_add_many_adds_each_film_and_day_once_without_rating(user):
    movie, other = MovieFactory.create(), MovieFactory.create()
    DiaryEntryFactory.create(user=user, movie=movie, watched_on=DAY)
    later = DAY + datetime.timedelta(days=30)
    rows = [
        (movie, DAY, Decimal(4), "Logged already."),
        (movie, later, Decimal(5), "A rewatch."),
        (movie, later, Decimal(1), "The same day again."),
        (other, DAY, None, ""),
    ]

    added = diary_entries_add_many(user=user, entries=rows)
    again = diary_entries_add_many(user=user, entries=rows)

    assert (added, again) == (2, 0)
    assert set(
        DiaryEntry.objects.filter(user=user).values_list(
            "movie_id", "watched_on", "score", "review"
        )
    ) == {
        (movie.pk, DAY, None, ""),
        (movie.pk, later, Decimal(5), "A rewatch."),
        (other.pk, DAY, None, ""),
    }
    assert not Rating.objects.exists()


def test_diary_entries_add_many_with_an_invalid_row_writes_nothing(user):
    movie = MovieFactory.create()
    rows = [
        (movie, DAY, Decimal(4), ""),
        (movie, DAY + datetime.timedelta(days=1), Decimal("4.2"), ""),
    ]

    with pytest.raises(ValidationError):
        diary_entries_add_many(user=user, entries=rows)

    assert not DiaryEntry.objects.exists()


def test_a_deleted_movie_or_user_takes_their_entries_with_them(user):
    movie = MovieFactory.create()
    diary_entry_create(user=user, movie=movie, watched_on=DAY, score=Decimal(3))
    someone = UserFactory.create(password=None)
    diary_entry_create(
        user=someone, movie=MovieFactory.create(), watched_on=DAY, score=Decimal(4)
    )

    movie_delete(movie=movie)
    user_delete(user=someone, actor=someone)

    assert not DiaryEntry.objects.exists()
    assert not Rating.objects.exists()
