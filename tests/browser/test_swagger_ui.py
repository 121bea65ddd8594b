"""Swagger UI in a real browser: self-hosted, grouped by resource, usable with JWT."""

from decimal import Decimal
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from movies.tests.factories import MovieFactory
from ratings.models import Rating
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

from .conftest import Screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

METHODS = {"get", "post", "put", "patch", "delete"}
RATE_PATH = "/api/v1/movies/{id}/rating/"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Schemes whose URLs never leave the browser.
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})


def non_local(urls: list[str]) -> list[str]:
    """Return the URLs that would leave this machine."""
    return [
        url
        for url in urls
        if urlsplit(url).scheme not in LOCAL_SCHEMES
        and urlsplit(url).hostname not in LOCAL_HOSTS
    ]


def fetch_schema(page: Page) -> dict[str, Any]:
    response = page.request.get(reverse("schema"), params={"format": "json"})
    assert response.status == HTTPStatus.OK, response.text()
    schema: dict[str, Any] = response.json()
    return schema


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def open_docs(page: Page) -> None:
    """Open Swagger UI and wait until it has rendered the schema."""
    page.goto(reverse("docs"))
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("movieratings API")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()


def test_swagger_ui_groups_operations_under_one_tag_per_resource(
    page: Page, requested_urls: list[str], screenshot: Screenshot
):
    schema = fetch_schema(page)
    per_tag: dict[str, int] = {}
    for _path, _method, operation in operations(schema):
        (tag,) = operation["tags"]  # Exactly one resource per operation.
        per_tag[tag] = per_tag.get(tag, 0) + 1
    assert {"auth", "users", "genres", "movies", "ratings"} <= set(per_tag)

    open_docs(page)
    screenshot("loaded")

    sections = page.locator(".opblock-tag-section")
    expect(sections).to_have_count(len(per_tag))
    for tag, count in per_tag.items():
        section = page.locator(".opblock-tag-section").filter(
            has=page.locator(f'h3.opblock-tag[data-tag="{tag}"]')
        )
        expect(section.locator(".opblock")).to_have_count(count)
    assert non_local(requested_urls) == []


def test_swagger_ui_rates_a_movie_with_a_real_token(
    page: Page, requested_urls: list[str], screenshot: Screenshot
):
    user = UserFactory.create()
    movie = MovieFactory.create(title="Heat", year=1995)
    token = page.request.post(
        reverse("users:auth-token"),
        data={"email": user.email, "password": DEFAULT_PASSWORD},
    )
    assert token.status == HTTPStatus.OK, token.text()
    access = token.json()["access"]
    (operation,) = [
        op
        for path, method, op in operations(fetch_schema(page))
        if path == RATE_PATH and method == "put"
    ]

    open_docs(page)
    assert non_local(requested_urls) == []

    page.locator(".scheme-container button.authorize").click()
    dialog = page.locator(".dialog-ux .modal-ux")
    expect(dialog).to_be_visible()
    dialog.get_by_label("auth-bearer-value").fill(access)
    dialog.get_by_role("button", name="Apply credentials").click()
    expect(dialog.get_by_role("button", name="Remove authorization")).to_be_visible()
    screenshot("authorized")
    dialog.get_by_role("button", name="Close", exact=True).click()
    expect(dialog).to_be_hidden()

    block = page.locator(
        f"#operations-{operation['tags'][0]}-{operation['operationId']}"
    )
    block.locator(".opblock-summary").click()
    body_examples = operation["requestBody"]["content"]["application/json"]["examples"]
    expect(
        block.locator(".opblock-section-request-body .examples-select option")
    ).to_have_text([example["summary"] for example in body_examples.values()])
    block.get_by_role("button", name="Try it out").click()
    block.locator('tr[data-param-name="id"] input').fill(str(movie.pk))
    block.locator("textarea.body-param__text").fill('{"score": 4.5}')
    block.get_by_role("button", name="Execute").click()

    response = block.locator(".live-responses-table tr.response")
    expect(response.locator(".response-col_status")).to_have_text("201")
    expect(response.locator(".response-col_description")).to_contain_text(
        '"score": 4.5'
    )
    screenshot("executed")

    rating = Rating.objects.get(user=user, movie=movie)
    assert rating.score == Decimal("4.5")
    assert non_local(requested_urls) == []
