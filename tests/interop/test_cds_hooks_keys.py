"""An EHR's keys fetched from its configured `jwks_url` (docs/cds-hooks.md, "Trusting EHRs"): kept five
minutes, never longer, so a key the EHR withdrew stops being trusted; a key set that cannot be fetched or
read (down, silent, not JSON, cut off mid-answer) refuses the call with the 401, never an error; the
token's own `jku` is never followed."""

import json
import logging
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from interop.cds_hooks import auth
from interop.cds_hooks.auth import JWKS_TIMEOUT, REFUSED
from interop.cds_hooks.service import SERVICE_ID
from tests.defaults_snapshot import load_defaults_for_test

from .cds_hooks_support import HOST, ISS, Issuer, example, hook_call, prefetch

pytestmark = pytest.mark.django_db

SERVICE = f"/cds-services/{SERVICE_ID}"
AUD = HOST + SERVICE


@pytest.fixture
def issuer(on_assessment_day):
    load_defaults_for_test()
    return Issuer()


def send(client, token):
    return client.post(
        SERVICE,
        data=json.dumps(hook_call(prefetch(example("eligible")))),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


class JwksServer:
    """The EHR's JWK Set over HTTP, on a port of this machine, for the test's duration; `body` may change."""

    def __init__(self, jwks):
        self.body = json.dumps(jwks).encode()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (the http.server API)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def jwks_server(issuer, settings):
    server = JwksServer(issuer.jwks())
    settings.CDS_HOOKS_ISSUERS = {ISS: {"jwks_url": server.url}}
    yield server
    server.close()


class RawServer:
    """A TCP port that answers as told: `silent` accepts connections and never says a word; `reset` sends
    the headers and part of a body, then resets the connection."""

    def __init__(self, how: str):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/jwks.json"
        self.done = threading.Event()
        if how == "reset":
            threading.Thread(target=self._reset, daemon=True).start()
        # silent: the kernel completes the handshake; nobody ever accepts or answers

    def _reset(self):
        connection, _ = self.sock.accept()
        connection.recv(65536)
        connection.sendall(
            b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"ke'
        )
        time.sleep(0.2)  # the client has read the headers and waits for the rest
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.close()  # RST
        self.done.set()

    def close(self):
        self.sock.close()


def test_keys_are_fetched_from_the_configured_jwks_url(client, issuer, jwks_server):
    assert send(client, issuer.token(AUD)).status_code == 200


def test_a_key_the_ehr_withdrew_is_refused_once_its_key_set_is_fetched_again(
    client, issuer, settings, monkeypatch
):
    monkeypatch.setattr(auth, "JWKS_LIFESPAN", 0.5)  # instead of 5 minutes: the test waits it out
    server = JwksServer(issuer.jwks())
    settings.CDS_HOOKS_ISSUERS = {ISS: {"jwks_url": server.url}}
    successor = Issuer(kid="ehr-key-2")
    try:
        assert send(client, issuer.token(AUD)).status_code == 200
        server.body = json.dumps(successor.jwks()).encode()  # the EHR rotated: key 1 is withdrawn
        time.sleep(0.6)
        assert send(client, issuer.token(AUD)).status_code == 401
        assert send(client, successor.token(AUD)).status_code == 200
    finally:
        server.close()


@pytest.mark.parametrize("body", [b"<html>Service Unavailable</html>", b"", b"\xff\xfe", b"[1]"])
def test_a_key_set_that_is_not_json_is_a_401(client, issuer, jwks_server, body, caplog):
    jwks_server.body = body
    token = issuer.token(AUD)
    with caplog.at_level(logging.WARNING, logger="interop.cds_hooks.auth"):
        response = send(client, token)
    assert (response.status_code, response.json()) == (401, {"error": REFUSED})
    assert token not in caplog.text and token.split(".")[2] not in caplog.text


def test_a_key_set_cut_off_mid_answer_is_a_401(client, issuer, settings):
    server = RawServer("reset")
    settings.CDS_HOOKS_ISSUERS = {ISS: {"jwks_url": server.url}}
    try:
        response = send(client, issuer.token(AUD))
        assert (response.status_code, response.json()) == (401, {"error": REFUSED})
        assert server.done.wait(5)
    finally:
        server.close()


def test_a_key_set_server_that_never_answers_is_a_401_after_the_timeout(client, issuer, settings):
    server = RawServer("silent")
    settings.CDS_HOOKS_ISSUERS = {ISS: {"jwks_url": server.url}}
    try:
        started = time.monotonic()
        assert send(client, issuer.token(AUD)).status_code == 401
        waited = time.monotonic() - started
    finally:
        server.close()
    assert JWKS_TIMEOUT * 0.9 <= waited < JWKS_TIMEOUT + 5


def test_an_unreachable_jwks_url_is_a_401_soon(client, issuer, settings):
    settings.CDS_HOOKS_ISSUERS = {ISS: {"jwks_url": "http://127.0.0.1:9/jwks.json"}}
    started = time.monotonic()
    assert send(client, issuer.token(AUD)).status_code == 401
    assert time.monotonic() - started < JWKS_TIMEOUT + 5


def test_the_tokens_jku_is_never_followed(client, issuer, settings):
    settings.CDS_HOOKS_ISSUERS = {ISS: {"jwks": issuer.jwks()}}
    rogue = Issuer(kid=issuer.kid)  # the attacker's key under the EHR's kid, published at their own URL
    server = JwksServer(rogue.jwks())
    try:
        token = rogue.token(AUD, headers={"jku": server.url})
        assert send(client, token).status_code == 401
    finally:
        server.close()
