"""Servers the tests start as separate processes (gunicorn, as docker-compose runs the app)."""

import subprocess
import tempfile
import urllib.request
from contextlib import contextmanager

from tests.conftest import ROOT, child_env, free_port, venv_bin, wait_for_port


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
    """The app under gunicorn, as docker-compose runs it, with DEBUG off; yields its base URL.

    Its log goes to an unnamed temporary file (gone when closed): a pipe nobody reads would fill up and
    block the server mid-request once it has logged 64 kB.
    """
    port = free_port()
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(
            [
                venv_bin("gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
            ],
            cwd=ROOT,
            env=child_env(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="gunicorn-test-" + "k" * 50, **env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_for_port(port, timeout=30)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=15)
