"""X-Forwarded-Proto is believed only from the proxy named by DJANGO_TRUSTED_PROXY: anyone else who sends
`X-Forwarded-Proto: https` over plain http is redirected to https like any plain-http request."""

import urllib.error
import urllib.request

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.settings import proxy_ssl_header, trusted_proxies
from core.middleware import is_trusted_proxy
from tests.servers import NoRedirect, gunicorn

pytestmark = pytest.mark.django_db

HTTPS_FROM_PROXY = ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.fixture
def ssl_redirect(settings):
    settings.SECURE_SSL_REDIRECT = True
    return settings


def test_unset_means_no_proxy_and_the_header_is_ignored():
    assert trusted_proxies("") == ()
    assert proxy_ssl_header(trusted_proxies("")) is None


def test_a_named_proxy_makes_the_header_count():
    assert trusted_proxies(" 172.28.0.10 , 10.0.0.0/8 ") == ("172.28.0.10", "10.0.0.0/8")
    assert proxy_ssl_header(("172.28.0.10",)) == HTTPS_FROM_PROXY


@pytest.mark.parametrize("value", ["1", "proxy.internal", "10.0.0.300"])
def test_anything_but_addresses_networks_or_star_is_refused_at_startup(value):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_TRUSTED_PROXY"):
        trusted_proxies(value)


@pytest.mark.parametrize(
    ("remote_addr", "proxies", "trusted"),
    [
        ("172.28.0.10", ("172.28.0.10",), True),
        ("172.28.0.11", ("172.28.0.10",), False),
        ("10.1.2.3", ("10.0.0.0/8",), True),
        ("203.0.113.5", ("*",), True),
        ("127.0.0.1", (), False),
        ("", ("10.0.0.0/8",), False),
    ],
)
def test_the_peer_is_the_proxy_only_when_named(remote_addr, proxies, trusted):
    assert is_trusted_proxy(remote_addr, proxies) is trusted


def test_without_a_trusted_proxy_a_forged_header_is_redirected_to_https(client, ssl_redirect):
    ssl_redirect.TRUSTED_PROXIES = ()
    ssl_redirect.SECURE_PROXY_SSL_HEADER = None
    response = client.get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"


def test_from_another_peer_than_the_proxy_the_header_is_dropped(client, ssl_redirect):
    ssl_redirect.TRUSTED_PROXIES = ("172.28.0.10",)
    ssl_redirect.SECURE_PROXY_SSL_HEADER = HTTPS_FROM_PROXY
    response = client.get(
        "/accounts/login/", headers={"X-Forwarded-Proto": "https"}, REMOTE_ADDR="172.28.0.99"
    )
    assert response.status_code == 301


def test_from_the_trusted_proxy_the_request_is_secure(client, ssl_redirect):
    ssl_redirect.TRUSTED_PROXIES = ("172.28.0.10",)
    ssl_redirect.SECURE_PROXY_SSL_HEADER = HTTPS_FROM_PROXY
    response = client.get(
        "/accounts/login/", headers={"X-Forwarded-Proto": "https"}, REMOTE_ADDR="172.28.0.10"
    )
    assert response.status_code == 200
    assert response.wsgi_request.is_secure()


def test_from_the_trusted_proxy_plain_http_is_still_redirected(client, ssl_redirect):
    ssl_redirect.TRUSTED_PROXIES = ("172.28.0.10",)
    ssl_redirect.SECURE_PROXY_SSL_HEADER = HTTPS_FROM_PROXY
    response = client.get(
        "/accounts/login/", headers={"X-Forwarded-Proto": "http"}, REMOTE_ADDR="172.28.0.10"
    )
    assert response.status_code == 301


def status_with_forwarded_https(url: str) -> int:
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.parametrize(("trusted_proxy", "status"), [("", 301), ("127.0.0.1", 200)])
def test_under_gunicorn_as_compose_runs_it_only_the_named_proxy_is_believed(trusted_proxy, status):
    """gunicorn believes X-Forwarded-Proto from 127.0.0.1 on its own unless FORWARDED_ALLOW_IPS is empty,
    as docker-compose.yml sets it: then DJANGO_TRUSTED_PROXY alone decides."""
    with gunicorn(
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="1",
        DJANGO_TRUSTED_PROXY=trusted_proxy,
        FORWARDED_ALLOW_IPS="",
    ) as base:
        assert status_with_forwarded_https(f"{base}/accounts/login/") == status
