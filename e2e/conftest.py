"""Fixtures for the browser test: a JupyterLab server on a copy of the course, and Debian's Chromium
driven by playwright through `executable_path` (nothing is downloaded).

Without Chromium the tests skip, unless GRADLAB_E2E_REQUIRED is set (CI sets it): then they fail.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest
from lab_server import ARTIFACTS, CHROMIUM_FLAGS, chromium_candidates, find_chromium, start_lab

ACTION_TIMEOUT_MS = 30_000  # a click, a page load
EXPECT_TIMEOUT_MS = 20_000  # playwright's `expect` waits this long for the page to agree
INSTALL_ADVICE = "run `make e2e` (tools/install_e2e.sh installs Chromium and playwright)"


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = find_chromium()
    if path is None:
        what = f"no Chromium found in {', '.join(chromium_candidates())}"
        if os.environ.get("GRADLAB_E2E_REQUIRED"):
            pytest.fail(f"{what}, and GRADLAB_E2E_REQUIRED is set: {INSTALL_ADVICE}")
        pytest.skip(f"{what}: {INSTALL_ADVICE}")
    return path


@pytest.fixture(scope="session")
def playwright(chromium_executable: str):
    """Playwright, started once for the session."""
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:  # Chromium is there, so the install was half done: say so, don't skip
        pytest.fail(f"{sys.executable} has no `playwright`: {INSTALL_ADVICE}")
    # Rendering notebook 07's 0.7 MB animation output takes seconds on a loaded machine.
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser_context(playwright, chromium_executable: str, tmp_path_factory):
    """A Chromium with a fresh, empty profile, shared by the tests of this folder."""
    profile = tmp_path_factory.mktemp("chromium-profile")
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=chromium_executable,
        headless=True,
        args=CHROMIUM_FLAGS,
        viewport={"width": 1280, "height": 1000},
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture(scope="session")
def no_script_context(playwright, chromium_executable: str):
    """A second Chromium with JavaScript turned off: a viewer that runs no code."""
    browser = playwright.chromium.launch(
        executable_path=chromium_executable, headless=True, args=CHROMIUM_FLAGS
    )
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 1000}
    )
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()
        browser.close()


@pytest.fixture(scope="session")
def lab(browser_context, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """JupyterLab from the project's venv, serving a fresh copy of the course to a new user.

    It asks for the browser first, so that a machine without Chromium skips before starting it.
    """
    server = start_lab(tmp_path_factory.mktemp("lab"))
    try:
        yield server
    finally:
        server.stop()
        if os.environ.get("GRADLAB_E2E_VERBOSE"):
            print(f"JupyterLab log:\n{server.log_tail(200)}", file=sys.stderr)


@pytest.fixture(scope="session")
def untrusted_lab(browser_context, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """JupyterLab on a copy of the course that nobody trusted (no `make lab`): Lab sanitizes
    its HTML and shows no SVG, as for a notebook downloaded from elsewhere."""
    server = start_lab(tmp_path_factory.mktemp("untrusted-lab"), trusted=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(browser_context, request: pytest.FixtureRequest):
    """A new tab; when the test fails, a screenshot of it is kept in e2e/artifacts/."""
    tab = browser_context.new_page()
    yield tab
    report = getattr(request.node, "call_report", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"))
    tab.close()


@pytest.fixture
def page_errors(page) -> list[str]:
    """Uncaught JavaScript exceptions of the page, collected from the test's start."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each test's call report on its item, so `page` knows whether to screenshot."""
    report = yield
    if report.when == "call":
        item.call_report = report
    return report
