"""Fixtures of the browser suite: headless Chromium driven by Playwright.

The browser talks to pytest-django's ``live_server``: a threaded WSGI server
inside the test process, serving the test database (every test that uses it
runs with ``transactional_db``, so what a test creates is committed and
visible to the server) and the static files through Django's finders. It is
the robust choice over a gunicorn subprocess: nothing to collect or migrate,
no process to clean up, and a test can prepare data with the factories and
check the database directly. The production server itself is covered by
tests/hardening.

Chromium is the system package (``/usr/bin/chromium``, which ``.ci/run``
installs): nothing is downloaded. Every wait is bounded by the timeouts below.
"""

from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
# The one command that installs it (Debian/Ubuntu; what .ci/run does).
INSTALL_CHROMIUM = "sudo apt-get install -y chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# Bounds of every Playwright action and wait (milliseconds).
ACTION_TIMEOUT_MS = 10_000
NAVIGATION_TIMEOUT_MS = 20_000

Screenshot = Callable[[str], Path]
_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember each phase's report, so that ``page`` knows when a test failed."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def chromium_missing_reason(path: Path) -> str | None:
    """Return why the browser tests cannot run, naming the fix; None if they can."""
    if path.exists():
        return None
    return f"needs Chromium at {path}: install it with `{INSTALL_CHROMIUM}`"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    reason = chromium_missing_reason(CHROMIUM)
    if reason:
        pytest.skip(reason)
    # Between its calls the sync API leaves its event loop marked as running in
    # this thread, so Django would refuse the ORM calls that set up and check
    # the data (SynchronousOnlyOperation). No async code shares that loop with
    # Django, so lifting the guard is safe while the browser is open: the
    # context restores it for the rest of the session.
    with (
        pytest.MonkeyPatch.context() as patch,
        sync_playwright() as driver,
    ):
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        expect.set_options(timeout=ACTION_TIMEOUT_MS)
        yield driver


@pytest.fixture(scope="module")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        timeout=NAVIGATION_TIMEOUT_MS,
    )
    yield browser
    browser.close()


@pytest.fixture
def requested_urls() -> list[str]:
    """Return the list of every URL the page requests, filled as it loads."""
    return []


@pytest.fixture
def page(
    request: pytest.FixtureRequest,
    chromium: Browser,
    live_server: object,
    requested_urls: list[str],
) -> Iterator[Page]:
    """Return a fresh page (own cookies and storage) on the live server.

    A test that fails leaves a screenshot of where it stopped.
    """
    context = chromium.new_context(
        base_url=str(live_server),
        viewport={"width": 1280, "height": 900},
        service_workers="block",
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    page = context.new_page()
    failure = f"{request.node.name}-failure"
    (SCREENSHOTS / f"{failure}.png").unlink(missing_ok=True)  # From a past run.
    page.on("request", lambda sent: requested_urls.append(sent.url))
    yield page
    call = request.node.stash.get(_REPORTS, {}).get("call")
    if call is not None and call.failed:
        _save(page, failure)
    context.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest, page: Page) -> Screenshot:
    """Return a function that saves a full-page screenshot as a test artefact.

    ``screenshot("step")`` writes ``artifacts/screenshots/<test>-step.png``.
    """
    return lambda step: _save(page, f"{request.node.name}-{step}")


def _save(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path
