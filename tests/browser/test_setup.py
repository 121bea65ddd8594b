"""Without Chromium the browser tests say how to get it (no browser needed here)."""

from pathlib import Path

from tests.conftest import ROOT

from .conftest import INSTALL_CHROMIUM, chromium_missing_reason


def test_missing_chromium_skip_names_the_command_that_installs_it(tmp_path: Path):
    reason = chromium_missing_reason(tmp_path / "chromium")

    assert reason is not None
    assert INSTALL_CHROMIUM in reason


def test_an_installed_chromium_is_no_reason_to_skip(tmp_path: Path):
    browser = tmp_path / "chromium"
    browser.touch()

    assert chromium_missing_reason(browser) is None


def test_readme_and_ci_install_chromium_with_the_same_command():
    assert INSTALL_CHROMIUM in (ROOT / "README.md").read_text()
    assert "apt-get install -y -qq chromium" in (ROOT / ".ci" / "run").read_text()
