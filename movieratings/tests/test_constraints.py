"""A write that breaks a model's constraint is that constraint's error."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from movieratings.constraints import constraint_error, constraint_errors
from movies.models import Genre, Movie
from movies.tests.factories import GenreFactory, MovieFactory
from ratings.models import REVIEW_LENGTH_MESSAGE, SCORE_MESSAGE, Rating
from ratings.tests.factories import RatingFactory
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _errors(caught: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return caught.value.message_dict


def test_a_second_rating_of_a_movie_is_the_unique_constraints_error_on_the_movie():
    rating = RatingFactory.create()

    with pytest.raises(ValidationError) as caught, constraint_errors(Rating):
        Rating.objects.create(user=rating.user, movie=rating.movie, score=Decimal(3))

    assert _errors(caught) == {"movie": ["You have already rated this movie."]}
    assert caught.value.error_dict["movie"][0].code == "unique"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"score": Decimal("4.3")}, "score", SCORE_MESSAGE),
        ({"score": Decimal(3), "review": "x" * 2001}, "review", REVIEW_LENGTH_MESSAGE),
    ],
)
def test_a_value_the_database_refuses_is_its_check_constraints_error(
    user, values, field, message
):
    with pytest.raises(ValidationError) as caught, constraint_errors(Rating):
        Rating.objects.create(user=user, movie=MovieFactory.create(), **values)

    assert _errors(caught) == {field: [message]}


def test_an_email_taken_in_another_case_is_an_email_error():
    UserFactory.create(email="ada@example.com")
    user = User(email="ADA@example.com", username="someone-else")

    with pytest.raises(ValidationError) as caught, constraint_errors(user):
        user.save()

    assert _errors(caught) == {"email": ["A user with this email already exists."]}


def test_a_taken_unique_field_names_the_field_and_the_model():
    existing = MovieFactory.create()
    movie = Movie(title="Another", imdb_id=existing.imdb_id)

    with pytest.raises(ValidationError) as caught, constraint_errors(movie):
        movie.save()

    assert _errors(caught) == {"imdb_id": ["A movie with this IMDb id already exists."]}


def test_a_write_that_breaks_two_unique_rules_names_both_fields():
    GenreFactory.create(name="Drama", slug="drama")
    genre = Genre(name="Drama", slug="drama")

    with pytest.raises(ValidationError) as caught, constraint_errors(genre):
        genre.save()

    assert _errors(caught) == {
        "name": ["A genre with this name already exists."],
        "slug": ["A genre with this slug already exists."],
    }


def test_a_write_that_breaks_one_of_several_unique_rules_names_that_one():
    GenreFactory.create(name="Drama", slug="drama")
    genre = Genre(name="Drama", slug="drama-2")

    with pytest.raises(ValidationError) as caught, constraint_errors(genre):
        genre.save()

    assert _errors(caught) == {"name": ["A genre with this name already exists."]}


def test_the_transaction_goes_on_after_the_error_of_a_model_with_a_savepoint():
    GenreFactory.create(name="Drama", slug="drama")
    genre = Genre(name="Drama", slug="drama")

    with transaction.atomic():
        with pytest.raises(ValidationError), constraint_errors(genre):
            genre.save()
        Genre.objects.create(name="Comedy", slug="comedy")

    assert set(Genre.objects.values_list("slug", flat=True)) == {"drama", "comedy"}


def test_a_violation_of_no_constraint_of_the_model_is_a_conflict():
    with pytest.raises(ValidationError) as caught, constraint_errors(Rating):
        Rating.objects.create(user=UserFactory.create(), movie=MovieFactory.create())

    assert caught.value.messages == ["This rating conflicts with an existing one."]


def test_constraint_error_is_the_named_constraints_message_and_code_on_its_field():
    error = constraint_error(Rating, "ratings_rating_score_half_stars")

    assert error.message_dict == {"score": [SCORE_MESSAGE]}
    assert error.error_dict["score"][0].code == "half_stars"


def test_constraint_error_of_an_unknown_constraint_is_a_lookup_error():
    with pytest.raises(LookupError):
        constraint_error(Rating, "no_such_constraint")
