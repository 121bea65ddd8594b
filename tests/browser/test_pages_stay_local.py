"""The docs and the admin: nothing leaves the server, the CSP holds and is obeyed.

Every request of the page is recorded; one to another host is aborted (the
test never reaches the network) and fails the test. Every Content-Security-
Policy violation is recorded in the page (``securitypolicyviolation`` events,
which the browser fires for each one it reports on the console) and fails
the test too. Each page is checked working, so a policy that blocked what it
needs could not pass: Swagger UI and ReDoc list the operations, the admin
signs in and shows a changelist.
"""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from movies.tests.factories import GenreFactory, MovieFactory
from users.models import Role
from users.tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})
RENDER_TIMEOUT_MS = 60_000

_RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
  );
});
"""


def _leaves_the_server(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme not in LOCAL_SCHEMES and parts.hostname not in LOCAL_HOSTS


@pytest.fixture
def elsewhere(page: Page) -> list[str]:
    """Return the URLs on other hosts the page asked for (each one aborted)."""
    asked: list[str] = []

    def route(route: Route) -> None:
        if _leaves_the_server(route.request.url):
            asked.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.context.route("**/*", route)
    return asked


@pytest.fixture
def violations(page: Page) -> list[str]:
    """Return the CSP violations of the pages loaded, filled as they load."""
    page.context.add_init_script(_RECORD_VIOLATIONS)
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return console


def _violations_in(page: Page, console: list[str]) -> list[str]:
    recorded: list[str] = page.evaluate("window.__cspViolations")
    return recorded + console


def test_swagger_ui_loads_everything_from_the_server_under_its_csp(
    page: Page, elsewhere: list[str], violations: list[str]
):
    response = page.goto("/api/docs/")

    assert response is not None
    assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert elsewhere == []
    assert _violations_in(page, violations) == []


def test_redoc_loads_everything_from_the_server_under_its_csp(
    page: Page, elsewhere: list[str], violations: list[str]
):
    response = page.goto("/api/redoc/")

    assert response is not None
    assert "content-security-policy" in response.headers
    # ReDoc parses and lays out the whole schema before it shows anything.
    expect(page.locator(".menu-content")).to_be_visible(timeout=RENDER_TIMEOUT_MS)
    expect(page.locator("h1").first).to_contain_text("movieratings API")
    expect(page.get_by_text("API docs by Redocly")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert elsewhere == []
    assert _violations_in(page, violations) == []


def test_admin_sign_in_index_and_changelist_stay_on_the_server_under_its_csp(
    page: Page, elsewhere: list[str], violations: list[str]
):
    curator = UserFactory.create(role=Role.ADMIN)
    MovieFactory.create(title="Heat", genres=[GenreFactory.create(name="Crime")])

    response = page.goto("/admin/")
    assert response is not None
    assert "content-security-policy" in response.headers
    page.get_by_label("Email address").fill(curator.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    assert _violations_in(page, violations) == []

    page.locator("#movies-movie").get_by_role("link", name="Movies").click()
    expect(page.get_by_role("heading", name="Select movie to change")).to_be_visible()
    expect(page.locator("#result_list tbody tr")).to_contain_text("Heat")
    page.locator("#searchbar").fill("heat")
    page.locator("#searchbar").press("Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.wait_for_load_state("networkidle")

    assert elsewhere == []
    assert _violations_in(page, violations) == []
