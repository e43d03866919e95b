import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from core.twofactor import must_verify
from tests.conftest import authenticator, next_code, service_unavailable

PASSWORD = "a-long-test-password-1"

# An assertion waits as long as an action (the tests' page timeout): on CI's two busy cores a swap or an
# htmx hint can take more than Playwright's 5 s default, which failed the intake test on a correct page.
expect.set_options(timeout=20_000)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium (never a downloaded browser build)."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        service_unavailable("Chromium is not installed (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": path, "args": CHROMIUM_ARGS}


@pytest.fixture
def pdf_worker(request):
    """With a broker configured (CI), PDFs are made by a real Celery worker; without one, eagerly in-process."""
    if settings.BROKER_FROM_ENV:
        return request.getfixturevalue("celery_worker_process")
    return None


# Playwright runs init scripts outside the page's Content-Security-Policy, so this listener works on pages
# that allow no inline script; each violation is pushed to Python as it happens, whichever page it is on.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolation(
  `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} on ${location.pathname}` +
  ` (${e.sourceFile || "the document"}:${e.lineNumber}) ${(e.sample || "").slice(0, 60)}`));
"""


@pytest.fixture(autouse=True)
def no_csp_violations(request):
    """Every browser test fails if any page it visited broke the Content-Security-Policy (an inline
    script or style, an eval, a resource from elsewhere)."""
    if "page" not in request.fixturenames:
        yield []
        return
    page = request.getfixturevalue("page")
    violations: list[str] = []
    page.context.expose_function("__cspViolation", lambda violation: violations.append(violation))
    page.context.add_init_script(CSP_LISTENER)
    yield violations
    if not page.is_closed():
        page.evaluate("0")  # a round trip, so a violation reported just before arrives first
    assert violations == [], "Content-Security-Policy violations:\n" + "\n".join(violations)


def sign_in(page, live_server, username: str, password: str = PASSWORD) -> None:
    """Sign in through the pages: the password, then (for a user whose role asks for it) the code of the
    user's authenticator app, computed from its key as the app would."""
    user = get_user_model().objects.get(username=username)
    device = authenticator(user) if must_verify(user) else None
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if device is not None:
        expect(page).to_have_url(re.compile(r"/accounts/two-factor/"))
        page.get_by_label("Code").fill(next_code(device))
        page.get_by_role("button", name="Verify").click()
    expect(page.get_by_test_id("signed-in-as")).to_be_visible()
    home_settled(page)


def home_settled(page) -> None:
    """The home page fetches its worklists once it shows (htmx): wait for them, as a person reading the page
    would, before the test moves on. (On SQLite the test database is shared in memory, and two requests that
    write at once, such as their audit events, lock it; PostgreSQL serves both.)"""
    expect(page.get_by_test_id("worklists-loading")).to_have_count(0)
