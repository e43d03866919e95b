"""Environment defaults for a test run, loaded by pytest before Django starts (`-p config.testenv`).

Only values a test run needs and that are absent are filled in: DATABASE_URL, CELERY_BROKER_URL and
REQUIRE_SERVICES come from the caller (.ci/run sets them), so the same suite runs on SQLite+eager on a
laptop and on PostgreSQL+Redis in CI.
"""

import os

# A developer's .env (written by `make setup`) never leaks into a test run.
os.environ.setdefault("DJANGO_ENV_FILE", "")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
os.environ.setdefault("DJANGO_HSTS_SECONDS", "0")
# Playwright's sync API runs an event loop; Django's async-safety check would refuse ORM use beside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
# PDFs written by tests (and by the Celery worker the tests start) go to a throwaway folder both can see.
if "DJANGO_MEDIA_ROOT" not in os.environ:
    import tempfile

    os.environ["DJANGO_MEDIA_ROOT"] = tempfile.mkdtemp(prefix="preinfusion-test-media-")
