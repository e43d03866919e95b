import subprocess
import urllib.request
from contextlib import contextmanager

import pytest

from tests.conftest import ROOT, child_env, free_port, venv_bin, wait_for_port

pytestmark = pytest.mark.django_db


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, host: str | None = None):
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@contextmanager
def gunicorn(**env: str):
    """The app under gunicorn, as docker-compose runs it, with DEBUG off; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [venv_bin("gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=child_env(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="gunicorn-test-" + "k" * 50, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_the_app_boots_under_gunicorn_and_serves_login_and_static_files():
    with gunicorn(DJANGO_ALLOWED_HOSTS="127.0.0.1", DJANGO_SECURE_SSL_REDIRECT="0") as base:
        status, _, body = fetch(f"{base}/accounts/login/")
        assert status == 200
        assert b"Sign in" in body
        status, headers, _ = fetch(f"{base}/")
        assert status == 302
        assert headers["Location"].startswith("/accounts/login/")
        status, _, css = fetch(f"{base}/static/bootstrap/css/bootstrap.min.css")
        assert status == 200
        assert b"Bootstrap" in css[:500]


def test_with_the_compose_environment_the_healthcheck_answers_over_plain_http():
    """docker-compose.yml's web service: SSL redirect and secure cookies on, the healthcheck on localhost."""
    with gunicorn(
        DJANGO_ALLOWED_HOSTS="clinic.example.org,localhost",
        DJANGO_SECURE_SSL_REDIRECT="1",
        DJANGO_SECURE_COOKIES="1",
    ) as base:
        status, _, body = fetch(f"{base}/healthz", host="localhost")
        assert (status, body.strip()) == (200, b"ok")
        status, headers, _ = fetch(f"{base}/accounts/login/", host="clinic.example.org")
        assert status == 301 and headers["Location"].startswith("https://clinic.example.org/")
        status, _, _ = fetch(f"{base}/accounts/login/")
        assert status == 400  # 127.0.0.1 is not an allowed host
