import pytest

from tests.servers import fetch, gunicorn

pytestmark = pytest.mark.django_db


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
