"""docker-compose.yml, read as compose reads it (no Docker engine runs here): migrations are a one-shot job
web and worker wait for, web runs gunicorn with config/gunicorn.py, every variable the file uses is
documented, and every variable the code reads reaches the app's services (or is left out for a reason)."""

import ast
import re
import runpy

import pytest
import yaml

from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
APP = ("migrate", "web", "worker")  # the services running the app's image
PACKAGES = ("core", "formulary", "patients", "rules", "screening", "infusions", "interop", "api", "config")
# Read by the code, not passed by docker-compose.yml, each for a reason.
NOT_PASSED = {
    "DJANGO_ENV_FILE": "compose passes the variables themselves: no file is read",
    "REQUIRE_SERVICES": "for test runs",
    "GUNICORN_BIND": "web listens on 0.0.0.0:8000, config/gunicorn.py's default, which the proxy reaches",
    "WEB_CONCURRENCY": "GUNICORN_WORKERS, passed, says the same",
    "CELERY_QUEUE": "one stack, one queue: the default",
    "AWS_STORAGE_BUCKET_NAME": "DJANGO_STORAGE_URL, passed, names the bucket",
    "AWS_LOCATION": "DJANGO_STORAGE_URL, passed, holds the prefix",
    "AWS_ENDPOINT_URL": "AWS_S3_ENDPOINT_URL, passed, says the same",
    "AWS_DEFAULT_REGION": "AWS_S3_REGION_NAME, passed, says the same",
    "AWS_S3_ADDRESSING_STYLE": "path-style with an endpoint, else AWS's: right for MinIO and for AWS",
    "AWS_S3_SSE_KMS_KEY_ID": "AWS_S3_SSE=aws:kms uses the account's key unless this names another",
    # tuning whose defaults suit a clinic (README, Configuration): add it to x-app-env to change it
    "DATABASE_CONN_MAX_AGE": "tuning",
    "API_MAX_BODY_BYTES": "tuning",
    "ICD10_PRELOAD": "tuning",
    "CELERY_TASK_TIME_LIMIT": "tuning",
    "CELERY_TASK_SOFT_TIME_LIMIT": "tuning",
    "CELERY_VISIBILITY_TIMEOUT": "tuning",
    "CELERY_WORKER_MAX_TASKS_PER_CHILD": "tuning",
    "CELERY_WORKER_MAX_MEMORY_PER_CHILD": "tuning",
    "CELERY_WORKER_PROC_ALIVE_TIMEOUT": "tuning",
    "PDF_STUCK_SECONDS": "tuning",
    "PDF_MAX_ATTEMPTS": "tuning",
    "PDF_SWEEP_SECONDS": "tuning",
}
# Passed by docker-compose.yml, read by a library rather than by the code.
READ_ELSEWHERE = {"DATABASE_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "FORWARDED_ALLOW_IPS"}
VARIABLE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")
NAME = re.compile(r"[A-Z][A-Z0-9_]{2,}")
ENV_HELPER = re.compile(r"(^|_)env(_|$)|^getenv$")


def command(service: str) -> str:
    value = SERVICES[service].get("command", "")
    return " ".join(value) if isinstance(value, list) else value


def environment(service: str) -> dict:
    return SERVICES[service].get("environment") or {}


def seconds(value: str) -> int:
    match = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", value)
    assert match and value, value
    return int(match[1] or 0) * 60 + int(match[2] or 0)


def read_by_the_code() -> set[str]:
    """The variables the product's modules read: os.environ.get / [...] / getenv, and the settings' helpers
    (env_bool, env_list, _env, env_int...), with the name written out."""
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts or path.name == "testenv.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                args = []
                if isinstance(node, ast.Call):
                    func = node.func
                    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                    if isinstance(func, ast.Attribute) and name == "get":
                        args = node.args[:1] if ast.unparse(func.value).endswith("environ") else []
                    elif ENV_HELPER.search(name):
                        args = node.args
                elif isinstance(node, ast.Subscript) and ast.unparse(node.value).endswith("environ"):
                    args = [node.slice]
                found.update(
                    a.value
                    for a in args
                    if isinstance(a, ast.Constant) and isinstance(a.value, str) and NAME.fullmatch(a.value)
                )
    return found


def test_one_service_migrates_and_loads_the_defaults_once():
    migrating = [name for name in SERVICES if "manage.py migrate" in command(name)]
    assert migrating == ["migrate"]
    assert [name for name in SERVICES if "load_defaults" in command(name)] == ["migrate"]
    assert re.search(r"manage\.py migrate --noinput && python manage\.py load_defaults", command("migrate"))
    job = SERVICES["migrate"]
    assert job["restart"] == "no"
    assert job["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert environment("migrate") == COMPOSE["x-app-env"]
    assert "ports" not in job and "PROMETHEUS_MULTIPROC_DIR" not in environment("migrate")


@pytest.mark.parametrize("service", ["web", "worker"])
def test_web_and_worker_start_once_the_migrations_succeeded(service):
    assert SERVICES[service]["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"},
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    # the same settings as the job that migrated, and a few of their own
    assert environment(service).items() >= COMPOSE["x-app-env"].items()


def test_web_runs_gunicorn_with_its_config_file_and_never_migrates():
    assert SERVICES["web"]["command"] == ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]
    assert (ROOT / "config" / "gunicorn.py").is_file()
    assert "migrate" not in command("web") and "load_defaults" not in command("web")
    assert SERVICES["web"]["expose"] == ["8000"]


def test_stops_are_graceful(monkeypatch):
    for name in ("GUNICORN_GRACEFUL_TIMEOUT", "GUNICORN_WORKERS", "WEB_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    graceful = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))["graceful_timeout"]
    assert seconds(SERVICES["web"]["stop_grace_period"]) > graceful
    hard_limit = int(
        re.search(r'"CELERY_TASK_TIME_LIMIT", "(\d+)"', (ROOT / "config/settings.py").read_text())[1]
    )
    assert seconds(SERVICES["worker"]["stop_grace_period"]) > hard_limit


def test_the_proxy_waits_for_web_to_be_ready_and_is_alone_published():
    assert SERVICES["proxy"]["depends_on"] == {"web": {"condition": "service_healthy"}}
    assert "http://localhost:8000/readyz" in " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert [name for name, service in SERVICES.items() if "ports" in service] == ["proxy"]


@pytest.mark.parametrize("service", ["web", "worker"])
def test_the_metrics_folder_is_a_fresh_tmpfs(service):
    folder = environment(service)["PROMETHEUS_MULTIPROC_DIR"]
    assert [entry.split(":")[0] for entry in SERVICES[service]["tmpfs"]] == [folder]


def test_every_variable_the_file_uses_is_documented():
    used = set(VARIABLE.findall((ROOT / "docker-compose.yml").read_text(encoding="utf-8")))
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    undocumented = {
        name
        for name in used
        if not re.search(rf"^{name}=", example, re.MULTILINE) and f"`{name}" not in readme
    }
    assert len(used) > 40
    assert undocumented == set()


def test_every_variable_the_code_reads_is_passed_or_left_out_for_a_reason():
    read = read_by_the_code()
    passed = {name for service in APP for name in environment(service)}
    assert {"DJANGO_SECRET_KEY", "READYZ_TIMEOUT_SECONDS", "GUNICORN_WORKERS", "METRICS_TOKEN"} <= read
    assert read - passed - set(NOT_PASSED) == set()
    assert set(NOT_PASSED) <= read  # no reason kept for a variable nothing reads any more
    assert set(NOT_PASSED) & passed == set()
    assert passed - read - READ_ELSEWHERE == set()  # nothing passed that nothing reads (a misspelt name)
