"""One settings module. Everything comes from the environment, with embedded defaults for a laptop.

No DATABASE_URL: SQLite in the project folder. No CELERY_BROKER_URL: tasks run eagerly in-process.
DEBUG is off unless DJANGO_DEBUG=1, and without DEBUG a secret key must be supplied.

`make setup` writes a git-ignored `.env` for local development (DEBUG on, a generated secret key); it is
read here, and the real environment always wins over it. DJANGO_ENV_FILE names another file, or "" for
none (the test run uses none, so it never depends on a developer's .env).
"""

import ipaddress
import json
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from dotenv import load_dotenv

from config.monitoring import (
    counting_queries,
    logging_settings,
    metrics_access,
    multiprocess_folder,
    worker_metrics_address,
)
from core.storage import storages_from_env

BASE_DIR = Path(__file__).resolve().parent.parent
ENV_FILE = os.environ.get("DJANGO_ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE:
    load_dotenv(ENV_FILE, override=False)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is not 1 (see .env.example)."
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    "django_htmx",
    "simple_history",
    "ninja",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_prometheus",
    "django_structlog",
    "core.apps.CoreConfig",
    "formulary",
    "patients",
    "rules",
    "screening",
    "infusions",
    "interop",
    "api",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # first: times everything below
    "core.middleware.ForwardedProtoFromTrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.NoStoreForSignedInMiddleware",
    "api.middleware.ApiBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.request_log.RequestLogMiddleware",  # after the user is known: the request id and user id to log
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.sessions.IdleSessionMiddleware",  # after messages: it leaves a "signed out" note
    "core.twofactor.TwoFactorMiddleware",  # after the idle check: an idle session is gone first
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "core.audit.AuditContextMiddleware",
    "axes.middleware.AxesMiddleware",  # last but the metrics, as django-axes requires: a lockout is its page
    "django_prometheus.middleware.PrometheusAfterMiddleware",  # last: counts responses by view and status
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.roles",
                "core.sessions.idle_logoff",
            ],
        },
    },
]

DATABASES = {
    "default": counting_queries(  # the same backend, counting queries for /metrics (django-prometheus)
        dj_database_url.config(
            default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
            conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
            conn_health_checks=True,
        )
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# django-axes first: it refuses a locked-out sign-in before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Sign-in throttling (django-axes; docs/security.md). A (username, address) pair is locked after
# AXES_FAILURE_LIMIT failures, an address alone after the higher AXES_IP_FAILURE_LIMIT (core.lockout gives
# each its own limit), so one attacker cannot lock a whole clinic out. A lock lifts after the cool-off
# (counted from the last failure) or when an admin removes the attempts (`manage.py axes_reset_username`).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "10"))
AXES_IP_FAILURE_LIMIT = int(os.environ.get("AXES_IP_FAILURE_LIMIT", "100"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "core.lockout.SignInLockoutHandler"
AXES_CLIENT_IP_CALLABLE = "core.lockout.client_ip"  # behind DJANGO_TRUSTED_PROXY: the forwarded address
AXES_LOCKOUT_CALLABLE = "core.lockout.lockout_response"  # a page, 429
# A success must not reset the counts: it would clear every pair of its address, other users' locks too.
AXES_RESET_ON_SUCCESS = False
# Successful sign-ins are in the audit trail; axes keeps only the failures it counts.
AXES_DISABLE_ACCESS_LOG = True

# Two-factor sign-in (django-otp: TOTP, with single-use backup codes). The roles (slugs, as create_user
# takes them) that must use it; staff accounts (the Django admin) must too. Others may enrol and are then
# asked for a code. TWO_FACTOR_ENFORCED=0 is for local development only (`make setup` writes it, so the
# demo accounts sign in with a password alone).
TWO_FACTOR_ENFORCED = env_bool("TWO_FACTOR_ENFORCED", default=True)
TWO_FACTOR_REQUIRED_ROLES = env_list("TWO_FACTOR_REQUIRED_ROLES", "physician,rules_admin,auditor")
TWO_FACTOR_OPTIONAL_FOR_OTHERS = env_bool("TWO_FACTOR_OPTIONAL_FOR_OTHERS", default=True)
OTP_TOTP_ISSUER = "Ketamine pre-infusion"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin lists devices (to delete a lost one), never their keys

# A session ends SESSION_IDLE_SECONDS after its last page load or form post (htmx polling does not count),
# and SESSION_COOKIE_AGE after sign-in however active it is; both are checked on the server (core.sessions).
SESSION_IDLE_SECONDS = int(os.environ.get("SESSION_IDLE_SECONDS", "900"))

# An API token is refused this many days after it was made (make a new one with `manage.py api_token`).
API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "90"))

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"  # never routed: stored files are served only by the permission-checked views
# Stored files (report PDFs, day-of sheets): MEDIA_ROOT, or the S3-compatible bucket DJANGO_STORAGE_URL
# (s3://bucket-name[/prefix]) or AWS_STORAGE_BUCKET_NAME names, shared by every host (core/storage.py).
STORAGES = {
    "default": storages_from_env(os.environ, MEDIA_ROOT),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the app folders too, so a fresh checkout (no collectstatic) works under gunicorn.
WHITENOISE_USE_FINDERS = True

# The JSON API refuses larger bodies with 413 (an intake document is a few kB).
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(1024 * 1024)))

# A rule-set impact preview over fewer screenings than this is not shown (a count could point at a person).
RULES_IMPACT_MIN_SCREENINGS = int(os.environ.get("RULES_IMPACT_MIN_SCREENINGS", "10"))

# Rule sets are published by two people: an author submits, another rules admin approves. A clinic with a
# single rules admin may allow self-approval; it is shown on every page of a self-approved set and in its
# governance trail.
RULES_ALLOW_SELF_APPROVAL = env_bool("RULES_ALLOW_SELF_APPROVAL")


def cds_hooks_issuers(value: str) -> dict[str, dict]:
    """CDS_HOOKS_ISSUERS: the CDS clients (EHRs) trusted to call the CDS Hooks service, as JSON, each issuer
    (the JWT's `iss`) with its public keys: {"<iss>": {"jwks": {"keys": [...]}}} or {"<iss>": {"jwks_url":
    "https://..."}}. Empty: nobody may call it (discovery stays open). docs/cds-hooks.md."""
    try:
        issuers = json.loads(value) if value.strip() else {}
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(f"CDS_HOOKS_ISSUERS is not JSON: {exc}") from None
    if not isinstance(issuers, dict):
        raise ImproperlyConfigured("CDS_HOOKS_ISSUERS must be a JSON object of issuers")
    for iss, config in issuers.items():
        keys = set(config) if isinstance(config, dict) else set()
        if keys not in ({"jwks"}, {"jwks_url"}):
            raise ImproperlyConfigured(f"CDS_HOOKS_ISSUERS[{iss!r}]: give exactly one of jwks, jwks_url")
        jwks = config.get("jwks")
        if "jwks" in keys and not (isinstance(jwks, dict) and isinstance(jwks.get("keys"), list)):
            raise ImproperlyConfigured(f'CDS_HOOKS_ISSUERS[{iss!r}].jwks: a JWK Set, {{"keys": [...]}}')
        if "jwks_url" in keys and urlsplit(str(config["jwks_url"])).scheme != "https":
            raise ImproperlyConfigured(f"CDS_HOOKS_ISSUERS[{iss!r}].jwks_url: an https URL")
    return issuers


CDS_HOOKS_ISSUERS = cds_hooks_issuers(os.environ.get("CDS_HOOKS_ISSUERS", ""))
# The scheme and host EHRs call (e.g. https://ketamine.clinic.example), when the proxy in front rewrites
# them: a token's `aud` must be this plus the path called. Empty: the request's own scheme and host.
CDS_HOOKS_AUDIENCE = os.environ.get("CDS_HOOKS_AUDIENCE", "").rstrip("/")

# FHIR import and CDS Hooks: the identifier systems (URIs, comma-separated) whose values are this clinic's
# MRNs, e.g. its EHR's MRN system, besides the product's own. An identifier typed MR in any other system is
# another hospital's record number, never read as the MRN (docs/fhir.md). Empty: the product's system only.
FHIR_MRN_SYSTEMS = env_list("FHIR_MRN_SYSTEMS")

# Messages can name a patient's MRN: keep them server-side, not in a (signed but readable) cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Production strictness: driven by the environment, the same code path everywhere.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# the container healthcheck, the readiness probe and the metrics scrape talk plain http inside the stack
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = int(os.environ.get("DJANGO_SESSION_SECONDS", str(12 * 3600)))
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# SecurityMiddleware's default, spelled out: a window this app opens keeps no handle on it, and back.
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def trusted_proxies(value: str) -> tuple[str, ...]:
    """DJANGO_TRUSTED_PROXY: the TLS-terminating proxy's addresses or networks, comma-separated ("*": any
    peer, for when nothing but the proxy can reach the app). Empty: X-Forwarded-Proto is never believed."""
    items = tuple(item.strip() for item in value.split(",") if item.strip())
    for item in items:
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ImproperlyConfigured(
                f"DJANGO_TRUSTED_PROXY: {item!r} is not an IP address or network (or *)."
            ) from None
    return items


def proxy_ssl_header(proxies: tuple[str, ...]) -> tuple[str, str] | None:
    """Believe X-Forwarded-Proto only when a proxy is named (core.middleware drops the header from
    anyone else)."""
    return ("HTTP_X_FORWARDED_PROTO", "https") if proxies else None


TRUSTED_PROXIES = trusted_proxies(os.environ.get("DJANGO_TRUSTED_PROXY", ""))
SECURE_PROXY_SSL_HEADER = proxy_ssl_header(TRUSTED_PROXIES)

# No inline script or style anywhere (external files under static/); Bootstrap's CSS draws its select
# arrows, check marks and the menu icon as data: SVG images, hence data: for images. docs/security.md.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Celery: no broker means eager, in-process execution (a laptop's first run).
BROKER_FROM_ENV = os.environ.get("CELERY_BROKER_URL", "")
CELERY_BROKER_URL = BROKER_FROM_ENV or "memory://"
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", BROKER_FROM_ENV or None)
CELERY_TASK_ALWAYS_EAGER = not BROKER_FROM_ENV
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The queue this instance's tasks go to and its workers read: one Redis can then serve several instances
# (or test runs) without one's worker taking another's tasks.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", "120"))
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", "90"))
CELERY_RESULT_EXPIRES = 3600
# A task whose worker died (SIGKILL, out of memory) is delivered again once Redis's visibility timeout
# passes: a little above the hard time limit, never kombu's default hour (with acks_late and
# reject_on_worker_lost above, nothing is acknowledged before it is done).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", str(CELERY_TASK_TIME_LIMIT + 60)))
}
# The PDF renderer's memory grows with each document: a worker child is replaced after this many tasks,
# or once it holds this much memory (in kB), whichever comes first.
CELERY_WORKER_MAX_TASKS_PER_CHILD = int(os.environ.get("CELERY_WORKER_MAX_TASKS_PER_CHILD", "50"))
CELERY_WORKER_MAX_MEMORY_PER_CHILD = int(os.environ.get("CELERY_WORKER_MAX_MEMORY_PER_CHILD", "300000"))
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A new pool child renders a warm-up PDF before it reports itself up (screening.tasks): give it longer than
# Celery's 4 s, so that on a loaded host it is not killed and replaced over and over.
CELERY_WORKER_PROC_ALIVE_TIMEOUT = float(os.environ.get("CELERY_WORKER_PROC_ALIVE_TIMEOUT", "30"))
CELERY_TIMEZONE = TIME_ZONE
# A PDF queued or rendering for longer than a render may last is stuck (its worker died, its message was
# lost): the sweep re-queues it, and marks it failed (Retry offered) after PDF_MAX_ATTEMPTS renders started.
# Beat runs the sweep (`celery -A config worker --beat`, or `manage.py pdf_sweep` from cron).
PDF_STUCK_SECONDS = int(os.environ.get("PDF_STUCK_SECONDS", str(CELERY_TASK_TIME_LIMIT + 60)))
PDF_MAX_ATTEMPTS = int(os.environ.get("PDF_MAX_ATTEMPTS", "5"))
PDF_SWEEP_SECONDS = float(os.environ.get("PDF_SWEEP_SECONDS", "60"))
CELERY_BEAT_SCHEDULE = {
    "pdf-sweep": {
        "task": "screening.pdf_sweep",
        "schedule": PDF_SWEEP_SECONDS,
        # a sweep waiting behind renders still runs; sweeps missed while the worker was down do not pile up
        "options": {"expires": max(PDF_SWEEP_SECONDS, PDF_STUCK_SECONDS)},
    },
}

# Tests (and .ci/run) set REQUIRE_SERVICES=1: a missing service is then a failure, never a skip.
REQUIRE_SERVICES = env_bool("REQUIRE_SERVICES")

# /readyz (core.health): a dependency that has not answered within this many seconds is reported "timeout".
try:
    READYZ_TIMEOUT_SECONDS = float(os.environ.get("READYZ_TIMEOUT_SECONDS") or "3")
except ValueError:
    READYZ_TIMEOUT_SECONDS = 0.0
if not 0 < READYZ_TIMEOUT_SECONDS <= 60:
    raise ImproperlyConfigured("READYZ_TIMEOUT_SECONDS must be a number of seconds above 0, at most 60.")

# Logs and metrics (config/monitoring.py, docs/monitoring.md): JSON log lines with the request id, never a
# query string; /metrics for Prometheus (METRICS_TOKEN, METRICS_ALLOWED_NETWORKS); a worker's own metrics.
LOGGING_CONFIG = "core.logs.configure_logging"
LOGGING = logging_settings(os.environ)
multiprocess_folder(os.environ)
DJANGO_STRUCTLOG_CELERY_ENABLED = True  # the request's log context travels in the task's headers
METRICS_TOKEN, METRICS_ALLOWED_NETWORKS = metrics_access(os.environ, TRUSTED_PROXIES)
CELERY_METRICS_PORT, CELERY_METRICS_ADDR = worker_metrics_address(os.environ)
