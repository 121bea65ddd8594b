"""The admin site as curators and superusers find it, and its dashboard."""

from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from movieratings import dashboard
from movies.models import Movie, max_movie_year
from movies.tests.factories import MovieFactory
from ratings.models import Rating
from ratings.tests.factories import RatingFactory
from users.models import Role, User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def curator_client() -> Client:
    return _signed_in(UserFactory.create(role=Role.ADMIN))


@pytest.fixture
def superuser_client() -> Client:
    return _signed_in(
        UserFactory.create(role=Role.ADMIN, is_superuser=True, email="root@example.com")
    )


def _sections(response) -> dict[str, list[str]]:
    return {
        app["name"]: [model["object_name"] for model in app["models"]]
        for app in response.context["app_list"]
    }


# --- what the index shows ---------------------------------------------------------


def test_curator_index_shows_the_catalogue_ratings_watchlists_and_diaries_only(
    curator_client,
):
    sections = _sections(curator_client.get(reverse("admin:index")))

    assert set(sections) == {"Movies", "Ratings", "Watchlist", "Diary"}


def test_superuser_index_groups_token_tables_under_operations_and_hides_groups(
    superuser_client,
):
    sections = _sections(superuser_client.get(reverse("admin:index")))

    assert set(sections["Operations"]) >= {
        "BlacklistedToken",
        "OutstandingToken",
        "AccessAttempt",  # sign-in failures and lock-outs (django-axes)
    }
    assert list(sections)[-1] == "Operations"
    assert "Authentication and Authorization" not in sections
    assert "Axes" not in sections
    assert all("Group" not in models for models in sections.values())


def test_nobody_adds_a_revoked_token_or_a_group_by_hand(superuser_client):
    add_token = superuser_client.get(
        reverse("admin:token_blacklist_blacklistedtoken_add")
    )

    assert add_token.status_code == HTTPStatus.FORBIDDEN
    assert (
        superuser_client.get("/admin/auth/group/").status_code == HTTPStatus.NOT_FOUND
    )


# --- rough edges of the movie admin ---------------------------------------------


def test_add_movie_form_shows_no_empty_aggregates(curator_client):
    response = curator_client.get(reverse("admin:movies_movie_add"))

    content = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "None" not in content
    assert "aggregates" not in content.lower()


def test_change_form_says_no_ratings_yet_and_explains_the_counts(curator_client):
    movie = MovieFactory.create()

    content = curator_client.get(
        reverse("admin:movies_movie_change", args=[movie.pk])
    ).content.decode()

    assert "No ratings yet" in content
    assert "Counted from the users" in content


def test_a_year_out_of_range_gets_one_message(curator_client):
    response = curator_client.post(
        reverse("admin:movies_movie_add"), {"title": "Too old", "year": "1700"}
    )

    errors = response.context["adminform"].form.errors["year"]
    assert errors == [f"Year must be between 1870 and {max_movie_year()}."]


def test_recount_of_one_exact_movie_says_so_in_words(curator_client):
    movie = MovieFactory.create()

    response = curator_client.post(
        reverse("admin:movies_movie_changelist"),
        {"action": "rebuild_rating_aggregates", "_selected_action": [movie.pk]},
    )

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Recounted the ratings of 1 movie: every count already agreed with the ratings."
    ]


def test_year_filter_offers_decades_not_years(curator_client):
    for year in (1931, 1939, 1994, 1995, 2003):
        MovieFactory.create(year=year)
    MovieFactory.create(year=None)
    url = reverse("admin:movies_movie_changelist")

    listing = curator_client.get(url)
    nineties = curator_client.get(url, {"decade": "1990"})

    choices = [
        choice["display"]
        for spec in listing.context["cl"].filter_specs
        if spec.title == "decade"
        for choice in spec.choices(listing.context["cl"])
    ]
    assert choices == ["All", "1930s", "1990s", "2000s", "Year unknown"]
    assert sorted(m.year for m in nineties.context["cl"].result_list) == [1994, 1995]


@pytest.mark.parametrize(
    ("url_name", "words"),
    [
        ("admin:movies_movie_changelist", "title"),
        ("admin:movies_genre_changelist", "name"),
        ("admin:ratings_rating_changelist", "movie title"),
    ],
)
def test_every_search_box_says_what_it_searches(curator_client, url_name, words):
    content = curator_client.get(reverse(url_name)).content.decode()

    assert "Search by" in content
    assert words in content


# --- the dashboard ------------------------------------------------------------------


def test_dashboard_counts_ratings_per_day_scores_and_this_weeks_films():
    now = timezone.now()
    heat, casino = (
        MovieFactory.create(title="Heat", year=1995),
        MovieFactory.create(title="Casino", year=1995),
    )
    for score in ("4.0", "4.5", "4.5"):
        RatingFactory.create(movie=heat, score=Decimal(score))
    old = RatingFactory.create(movie=casino, score=Decimal("2.0"))
    Rating.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=30))

    per_day = dashboard.ratings_per_day(now=now)
    scores = dict(dashboard.score_distribution())
    top = dashboard.most_rated(now=now)

    assert len(per_day) == dashboard.DAYS
    assert per_day[-1] == (now.date(), 3)
    assert dict(per_day)[(now - timedelta(days=30)).date()] == 1
    assert sum(n for _, n in per_day) == 4
    assert (scores["4.5"], scores["4.0"], scores["2.0"], scores["5.0"]) == (2, 1, 1, 0)
    assert top == [("Heat (1995)", 3)]


def test_dashboard_on_the_index_draws_three_charts(curator_client):
    RatingFactory.create(movie=MovieFactory.create(title="Heat <b>", year=1995))

    content = curator_client.get(reverse("admin:index")).content.decode()

    assert content.count("<svg xmlns='http://www.w3.org/2000/svg'") == 3
    assert "Ratings per day, last 90 days" in content
    assert "Heat &lt;b&gt; (1995)" in content  # titles are escaped
    assert "<script" not in content.split("dashboard-title")[1].split("</section>")[0]


def test_dashboard_is_cached(curator_client, django_assert_num_queries):
    MovieFactory.create()
    curator_client.get(reverse("admin:index"))
    Movie.objects.update(ratings_4_0=5)

    assert dashboard.charts() == dashboard.charts()
    with django_assert_num_queries(0):
        dashboard.charts()


def test_dashboard_is_for_curators_only(client):
    basic = UserFactory.create()
    client.force_login(basic)

    response = client.get(reverse("admin:index"))

    assert response.status_code == HTTPStatus.FOUND
