"""Servers the tests start as separate processes (gunicorn, as docker-compose runs the app)."""

import subprocess
import tempfile
import time
import urllib.error
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


def answered(base: str, timeout: float, proc: subprocess.Popen) -> None:
    """Wait for a worker to answer (any status): the master listens before its workers have loaded the app,
    which on a loaded machine takes longer than a request's own timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            fetch(f"{base}/healthz")
            return
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@contextmanager
def gunicorn_process(**env: str):
    """The app under gunicorn with config/gunicorn.py, as docker-compose runs it, with DEBUG off; yields its
    base URL and the master process. One worker that is never recycled unless `env` says otherwise
    (GUNICORN_WORKERS, GUNICORN_MAX_REQUESTS...).

    Its log goes to an unnamed temporary file (gone when closed): a pipe nobody reads would fill up and
    block the server mid-request once it has logged 64 kB.
    """
    port = free_port()
    env = {"GUNICORN_WORKERS": "1", "GUNICORN_MAX_REQUESTS": "0", **env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.Popen(
            [venv_bin("gunicorn"), "-c", "config/gunicorn.py", "config.wsgi:application"],
            cwd=ROOT,
            env=child_env(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="gunicorn-test-" + "k" * 50, **env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wait_for_port(port, timeout=30)
            base = f"http://127.0.0.1:{port}"
            answered(base, timeout=60, proc=proc)
            yield base, proc
        finally:
            proc.terminate()
            proc.wait(timeout=45)


@contextmanager
def gunicorn(**env: str):
    """The app under gunicorn (gunicorn_process); yields its base URL."""
    with gunicorn_process(**env) as (base, _):
        yield base


@contextmanager
def s3_emulator():
    """An S3-compatible store for the test (moto's server mode, in this process's threads); yields its URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
