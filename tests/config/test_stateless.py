"""Web processes keep nothing a later request needs: a session lives where every process reads it (the
database), sign-in failures are counted there too, and no module keeps state in Django's cache (the default
one is each process's own memory). Per-process caches keyed by content (compiled rule sets by sha256, the
formulary behind its stamp) are only copies and may be duplicated."""

import ast
import http.cookiejar
import re
import urllib.parse
import urllib.request

import pytest
from axes.handlers.database import AxesDatabaseHandler
from django.conf import global_settings, settings
from django.utils.module_loading import import_string

from tests.conftest import ROOT, database_url_for_test_db, service_unavailable
from tests.servers import NoRedirect, gunicorn

PACKAGES = ("core", "formulary", "patients", "rules", "screening", "infusions", "interop", "api", "config")
PROCESS_LOCAL_CACHES = ("LocMemCache", "DummyCache", "FileBasedCache")


def test_sessions_are_kept_where_every_process_reads_them():
    engine = settings.SESSION_ENGINE
    if engine.endswith((".cache", ".cached_db")):
        backend = settings.CACHES[settings.SESSION_CACHE_ALIAS]["BACKEND"]
        assert not backend.endswith(PROCESS_LOCAL_CACHES), backend
    else:
        # not "file" (one host's disk) nor "signed_cookies" (messages, in the session, can name an MRN)
        assert engine == "django.contrib.sessions.backends.db"
    assert settings.MESSAGE_STORAGE == "django.contrib.messages.storage.session.SessionStorage"


def test_sign_in_failures_are_counted_in_the_database():
    assert issubclass(import_string(settings.AXES_HANDLER), AxesDatabaseHandler)


def test_no_module_keeps_state_in_djangos_cache():
    """django.core.cache (and cache_page) would be each process's own memory with the default CACHES."""
    users = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.ImportFrom):
                    names = [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
                elif isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                if any(n.startswith("django.core.cache") or n.endswith(".cache_page") for n in names):
                    users.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert users == []


def opener():
    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect
    )


def call(browser, url: str, data: dict | None = None) -> tuple[int, str, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with browser.open(urllib.request.Request(url, data=body), timeout=15) as response:
            return response.status, response.headers.get("Location", ""), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", ""), exc.read().decode()


def csrf_token(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_session_made_by_one_web_process_serves_in_another(clinician, settings):
    """Two gunicorn servers on the same database, as behind a load balancer without sticky sessions: signed
    in on one, the other knows the session; signed out on the other, the first no longer does."""
    if not (database_url_for_test_db() or "").startswith("postgres"):
        service_unavailable("two processes share the test database only on PostgreSQL (DATABASE_URL)")
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # the servers' own, not the tests' fast one
    clinician.set_password("a-long-test-password-1")
    clinician.save()
    env = {
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
    }
    with gunicorn(**env, ICD10_PRELOAD="0") as one, gunicorn(**env, ICD10_PRELOAD="0") as two:
        browser = opener()
        status, _, page = call(browser, f"{one}/accounts/login/")
        assert status == 200
        form = {
            "username": "clin",
            "password": "a-long-test-password-1",
            "csrfmiddlewaretoken": csrf_token(page),
        }
        status, location, _ = call(browser, f"{one}/accounts/login/", form)
        assert (status, location) == (302, "/")

        assert call(browser, f"{two}/")[0] == 200
        assert call(opener(), f"{two}/")[:2] == (302, "/accounts/login/?next=/")  # it does check

        _, _, page = call(browser, f"{two}/")
        status, _, _ = call(browser, f"{two}/accounts/logout/", {"csrfmiddlewaretoken": csrf_token(page)})
        assert status == 302
        assert call(browser, f"{one}/")[:2] == (302, "/accounts/login/?next=/")
