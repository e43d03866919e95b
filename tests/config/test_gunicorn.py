import subprocess
import urllib.request

import pytest

from tests.conftest import ROOT, child_env, free_port, venv_bin, wait_for_port

pytestmark = pytest.mark.django_db


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str):
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_the_app_boots_under_gunicorn_and_serves_login_and_static_files():
    port = free_port()
    env = child_env(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="gunicorn-test-" + "k" * 50,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
    )
    proc = subprocess.Popen(
        [
            venv_bin("gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(port, timeout=30)
        base = f"http://127.0.0.1:{port}"
        status, _, body = fetch(f"{base}/accounts/login/")
        assert status == 200
        assert b"Sign in" in body
        status, headers, _ = fetch(f"{base}/")
        assert status == 302
        assert headers["Location"].startswith("/accounts/login/")
        status, _, css = fetch(f"{base}/static/bootstrap/css/bootstrap.min.css")
        assert status == 200
        assert b"Bootstrap" in css[:500]
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_with_the_compose_environment_the_healthcheck_answers_over_plain_http():
    """docker-compose.yml's web service: DEBUG off, SSL redirect on, the healthcheck on http://localhost."""
    port = free_port()
    env = child_env(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="compose-test-" + "k" * 50,
        DJANGO_ALLOWED_HOSTS="clinic.example.org,localhost",
        DJANGO_SECURE_SSL_REDIRECT="1",
        DJANGO_SECURE_COOKIES="1",
    )
    proc = subprocess.Popen(
        [venv_bin("gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_port(port, timeout=30)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": "localhost"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        status, headers, _ = fetch(f"http://127.0.0.1:{port}/accounts/login/")
        assert status == 400  # Host 127.0.0.1 is not an allowed host
    finally:
        proc.terminate()
        proc.wait(timeout=15)
