"""Every URL of the project, fetched by a signed-in user, answers with `Cache-Control: no-store` (a 200, a
redirect, a 403 or a 404 alike), the Content-Security-Policy on its HTML, and the browser hardening headers.
The URL list is walked from the resolver, so a new page is covered the day it is added."""

import re

import pytest
from django.urls import URLResolver, get_resolver

from core.tokens import api_token_create

pytestmark = pytest.mark.django_db

PLACEHOLDER = re.compile(r"<(?:[^>:]+:)?(?P<name>\w+)>")
GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<regex>[^)]*)\)")
STRICT_CSP = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)


def routes(patterns=None, prefix=""):
    """Every route of the project as its pattern text, e.g. "patients/<int:pk>/sections/<str:section>/"."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern)


def concrete(route: str, ids: dict[str, str]) -> str:
    """The route with each parameter filled in: `pk` and `object_id` by the path segment before them
    ("patients/<int:pk>" is a patient), every other parameter by its name; "1" when nothing matches
    (the answer is then a 404, which must carry the headers too). Regex routes: a literal group is kept,
    a catch-all gets a path nobody serves."""

    def placeholder(match):
        name = match["name"]
        segment = route[: match.start()].rstrip("/").rsplit("/", 1)[-1]
        return ids.get(segment if name in ("pk", "object_id") else name, "1")

    def group(match):
        literal = re.fullmatch(r"[\w-]+", match["regex"])
        return match["regex"] if literal else ids.get(match["name"], "no-such-page")

    path = PLACEHOLDER.sub(placeholder, GROUP.sub(group, route))
    return "/" + path.replace("^", "").replace("$", "")


@pytest.fixture
def every_response(client, superuser_with_every_role, ids):
    client.force_login(superuser_with_every_role)  # with the second factor (tests/conftest.py)
    urls = sorted({concrete(route, ids) for route in routes()})
    return [(url, client.get(url)) for url in urls]


def test_the_walk_reaches_the_pages_with_real_objects(every_response, ids):
    statuses = {url: response.status_code for url, response in every_response}
    assert statuses[f"/patients/{ids['patients']}/sections/psychiatric/"] == 200
    assert statuses[f"/screening/{ids['screening']}/"] == 200
    assert statuses[f"/screening/rulesets/{ids['rulesets']}/rules/{ids['rule_id']}/"] == 200
    assert statuses[f"/api/v1/screenings/{ids['screening']}"] == 200
    assert statuses["/admin/auth/user/"] == 200
    assert len(every_response) > 80


def test_every_response_to_a_signed_in_user_is_never_stored(every_response):
    stored = [
        f"{url} ({response.status_code}): {response.get('Cache-Control')!r}"
        for url, response in every_response
        if "no-store" not in response.get("Cache-Control", "") or response.get("Pragma") != "no-cache"
    ]
    assert stored == []


def test_every_html_response_has_the_strict_content_security_policy(every_response):
    html = [(url, r) for url, r in every_response if r.get("Content-Type", "").startswith("text/html")]
    lacking = [
        f"{url} ({response.status_code}): {response.get('Content-Security-Policy')!r}"
        for url, response in html
        if not all(directive in response.get("Content-Security-Policy", "") for directive in STRICT_CSP)
    ]
    assert len(html) > 50
    assert lacking == []


def test_every_response_has_the_browser_hardening_headers(every_response):
    expected = {
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        "Referrer-Policy": "same-origin",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Opener-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
    missing = [
        f"{url}: {name}={response.get(name)!r}"
        for url, response in every_response
        for name, value in expected.items()
        if response.get(name) != value
    ]
    assert missing == []


def test_the_policy_allows_nothing_inline_nor_eval(client):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "img-src 'self' data:" in policy


def test_the_sign_in_page_is_never_stored(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response["Pragma"] == "no-cache"


def test_an_api_answer_to_a_bearer_token_is_never_stored(client, superuser_with_every_role, ids):
    _, secret = api_token_create(user=superuser_with_every_role)
    response = client.get(
        f"/api/v1/screenings/{ids['screening']}", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_an_api_refusal_without_credentials_is_never_stored(client):
    response = client.get("/api/v1/screenings/1")
    assert response.status_code == 401
    assert "no-store" in response["Cache-Control"]


def test_static_files_keep_their_caching(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "Pragma" not in response
