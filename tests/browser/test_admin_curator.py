"""A curator (admin role, not a superuser) edits a movie in the Django admin."""

import re

import pytest
from playwright.sync_api import Page, expect

from movies.tests.factories import GenreFactory, MovieFactory
from users.models import Role
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

from .conftest import Screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_curator_renames_a_movie_and_adds_a_genre_in_the_admin(
    page: Page, screenshot: Screenshot
):
    curator = UserFactory.create(role=Role.ADMIN)
    assert not curator.is_superuser
    crime = GenreFactory.create(name="Crime")
    thriller = GenreFactory.create(name="Thriller")
    movie = MovieFactory.create(title="Heat", year=1995, genres=[crime])
    MovieFactory.create(title="Casino", year=1995, genres=[crime])

    page.goto("/admin/")
    page.get_by_label("Email address").fill(curator.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    screenshot("login")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    screenshot("dashboard")

    page.locator("#movies-movie").get_by_role("link", name="Movies").click()
    expect(page.get_by_role("heading", name="Select movie to change")).to_be_visible()
    page.locator("#searchbar").fill("heat")
    page.locator("#searchbar").press("Enter")
    results = page.locator("#result_list tbody tr")
    expect(results).to_have_count(1)
    expect(results).to_contain_text("Heat")
    screenshot("search")

    results.get_by_role("link", name="Heat").click()
    expect(page.get_by_role("heading", name="Change movie")).to_be_visible()
    page.get_by_label("Title:").fill("Heat (director's cut)")
    # The genres field is an autocomplete (select2) widget fed by the admin's
    # autocomplete view, which the curator may use through the genre permission.
    page.locator(".field-genres .select2-selection").click()
    page.locator(".select2-search__field").fill("thril")
    page.locator(".select2-results__option", has_text="Thriller").click()
    expect(page.locator(".field-genres .select2-selection__choice")).to_have_text(
        [re.compile("Crime"), re.compile("Thriller")]
    )
    screenshot("edit")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist .success")).to_contain_text(
        "was changed successfully"
    )
    screenshot("saved")
    movie.refresh_from_db()
    assert movie.title == "Heat (director's cut)"
    assert set(movie.genres.all()) == {crime, thriller}
