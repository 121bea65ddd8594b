"""The curator's dashboard on the admin index, in Chromium: drawn, and self-hosted."""

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from movies.tests.factories import MovieFactory
from ratings.tests.factories import RatingFactory
from users.models import Role
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

from .conftest import Screenshot
from .test_swagger_ui import non_local, open_docs

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_curator_sees_the_dashboard_charts_and_nothing_leaves_the_machine(
    page: Page, screenshot: Screenshot, requested_urls: list[str]
):
    curator = UserFactory.create(role=Role.ADMIN)
    heat = MovieFactory.create(title="Heat", year=1995)
    casino = MovieFactory.create(title="Casino", year=1995)
    for movie, scores in ((heat, ["4.5", "4.0", "5.0"]), (casino, ["3.0"])):
        for score in scores:
            RatingFactory.create(movie=movie, score=Decimal(score))

    page.goto("/admin/")
    page.get_by_label("Email address").fill(curator.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    section = page.get_by_role("region", name="Ratings at a glance")
    expect(section).to_be_visible()
    charts = section.get_by_role("img")
    expect(charts).to_have_count(3)
    for chart in charts.all():
        box = chart.bounding_box()
        assert box is not None
        assert box["width"] > 200
        assert box["height"] > 20
    expect(page.locator("#chart-most-rated")).to_contain_text("Heat (1995)")
    # Every chart fits the page: none is cut off or overflows it.
    viewport = page.viewport_size
    assert viewport is not None
    for chart in charts.all():
        box = chart.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= viewport["width"]
    screenshot("dashboard")

    assert non_local(requested_urls) == []


def test_swagger_ui_shows_no_lock_on_sign_up_and_sign_in(
    page: Page, screenshot: Screenshot, requested_urls: list[str]
):
    open_docs(page)
    auth = page.locator(".opblock-tag-section").filter(
        has=page.locator('h3.opblock-tag[data-tag="auth"]')
    )
    expect(auth.locator(".opblock")).to_have_count(4)

    for path in ("/api/v1/auth/signup/", "/api/v1/auth/token/"):
        block = auth.locator(".opblock").filter(
            has=page.locator(f'[data-path="{path}"]')
        )
        expect(block.locator(".authorization__btn")).to_have_count(0)
    logout = auth.locator(".opblock").filter(
        has=page.locator('[data-path="/api/v1/auth/logout/"]')
    )
    expect(logout.locator(".authorization__btn")).to_have_count(1)
    screenshot("auth")

    assert non_local(requested_urls) == []
