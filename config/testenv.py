"""Environment defaults for a test run, loaded by pytest before Django starts (`-p config.testenv`).

Only values a test run needs and that are absent are filled in: DATABASE_URL, CELERY_BROKER_URL and
REQUIRE_SERVICES come from the caller (.ci/run sets them), so the same suite runs on SQLite+eager on a
laptop and on PostgreSQL+Redis in CI.
"""

import os
import shutil
import tempfile

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

# A developer's .env (written by `make setup`) never leaks into a test run.
os.environ.setdefault("DJANGO_ENV_FILE", "")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
os.environ.setdefault("DJANGO_HSTS_SECONDS", "0")
# Playwright's sync API runs an event loop; Django's async-safety check would refuse ORM use beside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# PDFs written by tests (and by the Celery worker the tests start) go to a throwaway folder both can see;
# it is removed when the run ends (pytest_unconfigure below), so a test run leaves nothing behind.
_MEDIA_MADE_HERE = None
if "DJANGO_MEDIA_ROOT" not in os.environ:
    _MEDIA_MADE_HERE = tempfile.mkdtemp(prefix="preinfusion-test-media-")
    os.environ["DJANGO_MEDIA_ROOT"] = _MEDIA_MADE_HERE


_BASETEMP_MADE_HERE = None
_HYPOTHESIS_HOME = None


@pytest.hookimpl(tryfirst=True)  # before pytest's tmp_path factory reads --basetemp
def pytest_configure(config):
    """Every tmp_path of the run lives in one folder of its own, removed at the end (pytest keeps its
    numbered folders otherwise)."""
    global _BASETEMP_MADE_HERE
    if not config.option.basetemp:
        _BASETEMP_MADE_HERE = tempfile.mkdtemp(prefix="preinfusion-test-tmp-")
        config.option.basetemp = _BASETEMP_MADE_HERE

    # Hypothesis keeps its example database and caches in ./.hypothesis unless told otherwise.
    global _HYPOTHESIS_HOME
    _HYPOTHESIS_HOME = tempfile.mkdtemp(prefix="preinfusion-test-hypothesis-")
    set_hypothesis_home_dir(_HYPOTHESIS_HOME)


def pytest_unconfigure(config):
    for folder in (_MEDIA_MADE_HERE, _BASETEMP_MADE_HERE, _HYPOTHESIS_HOME):
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
