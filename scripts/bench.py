"""Clinic-scale benchmark (issue 16): the pages under gunicorn with production settings on a PostgreSQL
database of synthetic patients, as ratios to the framework floor measured in the same run, plus the engine,
impact preview and PDF timed in-process. Prints one table and writes it as JSON. docs/performance.md.

    make bench                                   # 100,000 patients; 1, 5 and 20 users; 10 s per page
    make bench BENCH_PATIENTS=5000 BENCH_USERS=1,5 BENCH_SECONDS=5     # a quick run
    .venv/bin/python scripts/bench.py --patients 5000 --users 1,5 --seconds 5
    make bench-clean                             # drop the bench databases

The database (preinfusion_bench, or preinfusion_bench_<n> for another size) is built once, migrated on
every run and reused while its marker says it holds the same data set. Load goes to loopback only,
bounded in time (--seconds per page and level) and in count (--max-requests per page and level).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
import zlib
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DATASET = "bench-6"  # bump when the synthetic data changes: an older bench database is then rebuilt
DB_PREFIX = "preinfusion_bench"
FULL_SIZE = 100_000
PASSWORD = "bench-password-not-for-production"  # noqa: S105 (throwaway accounts of a throwaway database)
IMPACT_DAY = date(2025, 6, 2)  # the impact screenings' assessment day: no other screening has it
IMPACT_SCREENINGS, MANY_SCREENINGS, PER_PAGE = 2000, 5000, 25
# the patients with a record made through the intake import: (name, medications, blood pressure readings)
HEAVY = (("small", 2, 2), ("large", 40, 30), ("many", 2, 2), ("screen", 2, 2), ("eleven", 2, 2))
GIVEN = "Ana Ben Carla Dev Emma Farid Grace Hugo Ines Jon Kira Liam Maya Noor Omar Pia Quinn Rosa Sam Tara"
FAMILY = (
    "Anderson Baker Carter Dickerson Emerson Fischer Garcia Hansen Ito Jensen Kowalski Larsen Moreno "
    "Nakamura Okafor Peterson Quint Rossi Schmidt Tanaka Usman Varga Weber Xu Yilmaz Zhang"
)
SEARCH_NAME_PART = "erso"  # inside Anderson, Emerson, Peterson (and Dickerson): 4 family names in 26


# ------------------------------------------------------------------ pure helpers (tests/test_bench_script.py)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least q of the values at or below it."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def ratio(value: float | None, floor: float | None) -> float | None:
    return None if value is None or not floor else value / floor


def summarize(latencies: list[float], errors: list[str], seconds: float, sizes: list[int]) -> dict:
    """One page at one concurrency: latencies in seconds of the successful requests."""
    ok = bool(latencies)
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "seconds": round(seconds, 2),
        "p50_ms": round(statistics.median(latencies) * 1000, 2) if ok else None,
        "p95_ms": round(percentile(latencies, 0.95) * 1000, 2) if ok else None,
        "requests_per_second": round(len(latencies) / seconds, 1) if seconds > 0 else None,
        "kb": round(statistics.median(sizes) / 1024, 1) if sizes else None,
    }


def add_floor_ratios(pages: list[dict], floor_key: str, level: str) -> None:
    """p95/floor: each page's p95 over the floor page's p95 at the same concurrency in the same run."""
    floor = next(p for p in pages if p["key"] == floor_key)["levels"][level]["p95_ms"]
    for page in pages:
        stats = page["levels"][level]
        value = ratio(stats["p95_ms"], floor)
        stats["p95_over_floor"] = None if value is None else round(value, 2)


def pdf_page_count(data: bytes) -> int:
    """Page objects in a PDF, looked for in its compressed streams too (WeasyPrint packs them)."""
    texts = [data]
    for stream in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            texts.append(zlib.decompress(stream.group(1)))
        except zlib.error:
            continue
    return sum(len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", text)) for text in texts)


def parse_users(text: str) -> list[int]:
    users = sorted({int(part) for part in text.split(",") if part.strip()})
    if not users or users[0] < 1 or users[-1] > 50:
        raise ValueError("users: 1 to 50, comma-separated")
    return users


def database_name(patients: int) -> str:
    return DB_PREFIX if patients == FULL_SIZE else f"{DB_PREFIX}_{patients}"


def _cell(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ms(value: float | None) -> str:
    return _cell(value, 0 if value is not None and value >= 100 else 1)


def format_table(result: dict) -> str:
    run, levels = result["run"], [str(u) for u in result["run"]["users"]]
    block, width = ("p50 ms", "p95 ms", "req/s", "p95/fl"), 7
    title = (
        f"{run['patients']:,} patients, PostgreSQL {run['database']}, gunicorn {run['workers']} workers, "
        f"{run['seconds_per_page']:g} s per page and level, floor = {result['floor_label']}"
    )
    top = f"{'':<40}{'':>6}" + "".join(
        f"{(u + ' user' + ('s' if u != '1' else '')):^{width * 4 + 2}}" for u in levels
    )
    head = f"{'page':<40}{'kB':>6}" + "".join("".join(f"{h:>{width}}" for h in block) + "  " for _ in levels)
    lines = [title, "", top.rstrip(), head + f"{'errors':>7}", "-" * (len(head) + 7)]
    for page in result["pages"]:
        first = page["levels"].get(levels[0], {})
        row = f"{page['label'][:39]:<40}{_cell(first.get('kb'), 1):>6}"
        errors = 0
        for level in levels:
            s = page["levels"].get(level, {})
            errors += s.get("errors", 0)
            cells = (_ms(s.get("p50_ms")), _ms(s.get("p95_ms")), _cell(s.get("requests_per_second"), 1))
            row += "".join(f"{c:>{width}}" for c in cells) + f"{_cell(s.get('p95_over_floor'), 2):>{width}}  "
        lines.append(row + f"{errors:>7}")
    lines += ["", "in process (medians)"]
    for key, text in result["in_process"].items():
        lines.append(f"  {key:<16}{text.get('summary') or 'not measured: ' + str(text.get('error'))}")
    return "\n".join(lines)


# ------------------------------------------------------------------ the database (PostgreSQL, own names only)


def _db_url(admin_url: str, name: str) -> str:
    parts = urlsplit(admin_url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, "", ""))


def _own_name(name: str) -> str:
    if not re.fullmatch(rf"{DB_PREFIX}(_\d+)?", name):
        raise ValueError(f"{name} is not a bench database name")
    return name


def admin_sql(admin_url: str, statement, *params):
    import psycopg  # here, not at the top: the table helpers above import without a database driver

    with psycopg.connect(admin_url, autocommit=True) as conn:
        cursor = conn.execute(statement, params or None)
        return cursor.fetchall() if cursor.description else []


def create_database(admin_url: str, name: str) -> None:
    from psycopg import sql

    admin_sql(
        admin_url, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(_own_name(name)))
    )
    admin_sql(admin_url, sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_databases(admin_url: str) -> list[str]:
    from psycopg import sql

    names = [
        row[0]
        for row in admin_sql(
            admin_url, "SELECT datname FROM pg_database WHERE datname LIKE %s", DB_PREFIX + "%"
        )
    ]
    names = [n for n in names if re.fullmatch(rf"{DB_PREFIX}(_\d+)?", n)]
    for name in names:
        admin_sql(admin_url, sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(_own_name(name))))
    return names


def bench_env(database_url: str, log_level: str) -> dict[str, str]:
    """Production settings (DEBUG off, cached templates) on the bench database; never the developer's .env
    or DATABASE_URL. Plain http on loopback: no TLS redirect, cookies without the Secure flag."""
    env = dict(os.environ)
    env.update(
        DJANGO_ENV_FILE="",
        DJANGO_DEBUG="0",
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY="bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",  # noqa: S106
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_COOKIES="0",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL="",  # eager: none of the measured pages queues a task
        FORWARDED_ALLOW_IPS="",
        DJANGO_LOG_LEVEL=log_level,
    )
    return env


# ------------------------------------------------------------------ synthetic data (Django, bench database)


def intake_doc(base: dict, *, patient: dict, assessed_on: date, meds, readings, variant: int = 0) -> dict:
    """A ketamine-intake/1 document from the eligible example, varied by `variant` (sex, weight, ideation,
    substance use, an unknown answer now and then) so the screenings do not all fire the same rules."""
    doc = copy.deepcopy(base)
    female = variant % 2 == 0
    doc["assessed_on"] = assessed_on.isoformat()
    doc["patient"].update(patient)
    doc["patient"].update(
        sex_at_birth="female" if female else "male",
        pregnancy="not_pregnant" if female else "not_applicable",
        weight_kg=float(55 + variant % 60),
        date_of_birth=f"{1950 + variant % 50}-0{1 + variant % 9}-15",
    )
    doc["diagnoses"] = [{"icd10": "F33.2", "status": "active", "severity": "severe"}]
    doc["treatment_history"]["failed_antidepressant_trials"] = 2 + variant % 3
    doc["psychiatric"]["suicidal_ideation"] = ("none", "passive", "active")[variant % 3]
    doc["psychiatric"]["substance_use_disorder"] = ("none", "in_remission", "current")[variant // 3 % 3]
    if variant % 7 == 6:
        doc["other_medical"]["glaucoma"] = "unknown"
    doc["medications"] = {
        "reconciled": True,
        "items": [{"name": n, "dose_mg": 1, "times_per_day": 1, "as_needed": False} for n in meds],
    }
    doc["blood_pressure"] = [
        {"taken_at": t.isoformat(), "systolic": 118 + (variant + i) % 50, "diastolic": 76, "heart_rate": 70}
        for i, t in enumerate(readings)
    ]
    return doc


def read_marker() -> dict | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_marker (name text PRIMARY KEY, value jsonb NOT NULL)"
        )
        cursor.execute("SELECT value FROM bench_marker WHERE name = 'dataset'")
        row = cursor.fetchone()
    value = row and (json.loads(row[0]) if isinstance(row[0], str) else row[0])
    # the screenings store how the record was read (screening.record_reader): built by another reader,
    # currency would read every record they show, as it does for a clinic's screenings after such a deploy
    if not value or value.get("dataset") != DATASET or value.get("reader") != _reader():
        return None
    return value


def _reader() -> str:
    from screening.record_reader import record_reader

    return record_reader()


def build(patients: int, say) -> dict:
    """Bulk-create the data set; returns the ids the pages need (stored in the marker)."""
    from django.db import connection

    from formulary.selectors import current_formulary
    from patients.models import Patient
    from patients.services import intake_import
    from rules.selectors import active_ruleset, verified_engine_ruleset
    from rules.services import ruleset_clone
    from screening.engine import evaluate, report_to_dict
    from screening.intake import facts_from_intake, intake_sha256, validate_intake
    from screening.models import Screening
    from screening.record_reader import record_reader
    from screening.services import screening_run

    user = ensure_users(1)[0]
    base = json.loads((ROOT / "examples" / "eligible.json").read_text())
    generics = [
        e["generic"] for e in json.loads((ROOT / "fixtures" / "formulary.json").read_text())["entries"]
    ]
    pool = generics[::10][:40]  # 40 drugs of many classes: some rules fire on them
    now = datetime.now(UTC)
    recent = [now - timedelta(hours=3 * i + 1) for i in range(30)]

    def heavy(mrn: str, meds: int, readings: int) -> int:
        patient = {"mrn": mrn, "given_name": "Bench", "family_name": mrn.title()}
        doc = intake_doc(
            base, patient=patient, assessed_on=now.date(), meds=pool[:meds], readings=recent[:readings]
        )
        return intake_import(doc=doc)[0].pk

    ids = {name: heavy(f"BENCH-{name.upper()}", m, r) for name, m, r in HEAVY}
    given, family = GIVEN.split(), FAMILY.split()
    filler = patients - len(ids)
    impact_patients = []
    for start in range(0, filler, 5000):
        batch = [
            Patient(
                mrn=f"BN-{i:06d}",
                given_name=given[i * 7 % len(given)],
                family_name=family[i % len(family)],
                date_of_birth=date(1940 + i % 60, 1 + i % 12, 1 + i % 28),
                weight_kg=50 + i % 70,
            )
            for i in range(start, min(start + 5000, filler))
        ]
        created = Patient.objects.bulk_create(batch)
        impact_patients += created[: max(0, IMPACT_SCREENINGS - len(impact_patients))]
    say(f"  {filler:,} patients and {len(ids)} with records")

    runs = {
        key: [screening_run(patient=Patient(pk=ids[key]), requested_by=user) for _ in range(n)]
        for key, n in (("small", 5), ("large", 1), ("many", 1), ("eleven", 11))
    }
    template = runs["many"][0]
    fields = {
        f.attname: getattr(template, f.attname) for f in Screening._meta.concrete_fields if not f.primary_key
    }
    Screening.objects.bulk_create([Screening(**fields) for _ in range(MANY_SCREENINGS - 1)], batch_size=1000)

    ruleset_row, formulary = active_ruleset(), current_formulary()
    ruleset = verified_engine_ruleset(ruleset_row)
    # as screening_run stores them: the record's version when screened, and how the record was read (a
    # screening without them makes every page that weighs its currency read the patient's whole record)
    reader = record_reader()
    versions = dict(
        Patient.objects.filter(pk__in=[p.pk for p in impact_patients]).values_list("pk", "record_version")
    )
    rows, day = [], [datetime(2025, 6, 2, 8, m, tzinfo=UTC) for m in (0, 10)]
    for i, p in enumerate(impact_patients):
        who = {"mrn": p.mrn, "given_name": p.given_name, "family_name": p.family_name}
        meds = [pool[(i + k) % len(pool)] for k in range(i % 8)]
        valid = validate_intake(
            intake_doc(base, patient=who, assessed_on=IMPACT_DAY, meds=meds, readings=day, variant=i)
        )
        report = evaluate(
            facts_from_intake(valid, formulary.resolve, formulary.is_ambiguous), ruleset, IMPACT_DAY
        )
        document = report_to_dict(report) | {
            "formulary": {"version": formulary.version, "sha256": formulary.sha256}
        }
        rows.append(
            Screening(
                patient_id=p.pk, requested_by=user, assessed_on=IMPACT_DAY, verdict=report.verdict,
                rule_codes=list(report.rule_codes), report=document, intake=valid, ruleset=ruleset_row,
                ruleset_version=report.ruleset_version, ruleset_sha256=report.ruleset_sha256,
                engine_version=report.engine_version, intake_sha256=intake_sha256(valid),
                formulary_version=formulary.version, formulary_sha256=formulary.sha256,
                record_version=versions[p.pk], record_reader=reader,
            )
        )  # fmt: skip
    Screening.objects.bulk_create(rows, batch_size=500)
    say(
        f"  screenings: 5 + 1 + {MANY_SCREENINGS:,} + 11 for the heavy patients, {len(rows):,} for the impact preview"
    )
    draft = ruleset_clone(source=ruleset_row, version="bench-draft", created_by=user)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return ids | {
        "report_large": runs["large"][0].pk,
        "pdf_screening": runs["small"][-1].pk,
        "draft_ruleset": draft.pk,
        "search_mrn": f"BN-{filler // 2:06d}",  # one patient, half way down the table
    }


def ensure_users(count: int) -> list:
    """`count` clinicians (bench-clinician-<i>) and as many users with no role (bench-floor-<i>, the floor),
    one password hash for all. Neither role needs a second factor (TWO_FACTOR_REQUIRED_ROLES)."""
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User

    from core.roles import CLINICIAN, role_group

    wanted = [f"bench-{kind}-{i}" for i in range(count) for kind in ("clinician", "floor")]
    existing = set(User.objects.filter(username__in=wanted).values_list("username", flat=True))
    if len(existing) < len(wanted):
        encoded = make_password(PASSWORD)
        for name in set(wanted) - existing:
            user = User.objects.create(username=name, password=encoded)
            if "clinician" in name:
                user.groups.add(role_group(CLINICIAN))
    return list(User.objects.filter(username__startswith="bench-clinician-").order_by("username")[:count])


def write_marker(value: dict) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_marker VALUES ('dataset', %s) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
            [json.dumps(value)],
        )


# ------------------------------------------------------------------ in process: engine, impact preview, PDF


def _timed(fn, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def measure_engine() -> dict:
    """scripts/bench_engine.py's patient and its trivial-predicate floor, fewer rounds."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from bench_engine import facts, floor_ruleset

    from formulary.lookup import Formulary
    from screening.engine import evaluate, ruleset_from_data

    data = json.loads((ROOT / "fixtures" / "ruleset-default.json").read_text())
    ruleset, floor = ruleset_from_data(data), floor_ruleset(data)
    patient = facts(Formulary(json.loads((ROOT / "fixtures" / "formulary.json").read_text())["entries"]))
    real, base = [], []
    for _ in range(7):  # alternated, so a machine that changes speed mid-run moves both alike
        real.append(timeit.timeit(lambda: evaluate(patient, ruleset, date(2026, 11, 20)), number=200) / 200)
        base.append(timeit.timeit(lambda: evaluate(patient, floor, date(2026, 11, 20)), number=200) / 200)
    median, floor_median = statistics.median(real) * 1000, statistics.median(base) * 1000
    return {
        "median_ms": round(median, 3),
        "floor_ms": round(floor_median, 3),
        "summary": f"evaluate(), 20 medications: {median:.3f} ms ({median / floor_median:.1f}x its trivial-predicate floor)",
    }


def measure_impact(ids: dict, user) -> dict:
    """impact_preview_run over the impact screenings (assessed on IMPACT_DAY), draft and active sets."""
    from rules.models import RuleSet
    from screening.impact import impact_preview_run
    from screening.models import ImpactPreview

    draft = RuleSet.objects.get(pk=ids["draft_ruleset"])
    times, evaluated = [], 0
    for _ in range(3):
        preview = ImpactPreview.objects.create(
            ruleset=draft,
            ruleset_sha256=draft.sha256,
            requested_by=user,
            limit=IMPACT_SCREENINGS,
            date_from=IMPACT_DAY,
            date_to=IMPACT_DAY,
        )
        times += _timed(lambda pk=preview.pk: impact_preview_run(preview_id=pk), 1)
        result = ImpactPreview.objects.get(pk=preview.pk).result
        evaluated = result.get("evaluated", 0)
        if not evaluated:
            raise RuntimeError(f"impact preview evaluated nothing: {result}")
    per_1000 = statistics.median(times) / evaluated * 1000
    return {
        "screenings": evaluated,
        "seconds_per_1000": round(per_1000, 3),
        "summary": f"impact preview: {per_1000:.2f} s per 1,000 screenings ({evaluated:,} screenings, median of 3)",
    }


def measure_pdf(ids: dict) -> dict:
    from screening.models import Screening
    from screening.services import screening_pdf_bytes

    screening = Screening.objects.get(pk=ids["pdf_screening"])
    first = _timed(lambda: screening_pdf_bytes(screening), 1)[0]
    pages = pdf_page_count(screening_pdf_bytes(screening))
    median = statistics.median(_timed(lambda: screening_pdf_bytes(screening), 7)) * 1000
    return {
        "pages": pages,
        "median_ms": round(median, 1),
        "first_render_ms": round(first * 1000, 1),
        "summary": f"PDF, {pages} pages: {median:.0f} ms (first render of the process {first * 1000:.0f} ms)",
    }


def in_process(ids: dict, user) -> dict:
    measures = {
        "engine": measure_engine,
        "impact": lambda: measure_impact(ids, user),
        "pdf": lambda: measure_pdf(ids),
    }
    out = {}
    for key, measure in measures.items():
        try:
            out[key] = measure()
        except Exception as exc:  # noqa: BLE001 (a service changed under us: say so, keep the page numbers)
            out[key] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    return out


# ------------------------------------------------------------------ the server and the load


@contextmanager
def gunicorn(env: dict, workers: int, log_path: Path):
    """gunicorn as docker-compose runs it (config.wsgi, sync workers), on a free loopback port, in its own
    process group: stopped as a whole on the way out, whatever happens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
    ]
    command += ["--workers", str(workers), "--timeout", "30"]
    if int(metadata.version("gunicorn").split(".")[0]) >= 27:  # no shared ~/.gunicorn control socket
        command.append("--no-control-socket")
    with log_path.open("w") as log:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        import requests

        base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 60
        while True:
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {log_path}")
            time.sleep(0.3)
        yield base
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    path: str
    who: str = "clinician"  # or "floor": a user with no role
    search: str | None = None  # the term kept in the session first ("" clears it); None: left as it is
    method: str = "GET"


def deep_page(patients: int) -> int:
    return min(2000, max(1, (patients - len(HEAVY)) // PER_PAGE))


def deep_anchor(patients: int) -> int | None:
    """The id the deep page's Next link carries from the page before it: that page's last row (Django)."""
    from patients.models import Patient

    before = (deep_page(patients) - 1) * PER_PAGE
    ordered = Patient.objects.order_by(*Patient._meta.ordering).values_list("pk", flat=True)
    return ordered[before - 1] if before else None


def pages_for(ids: dict, patients: int, anchor: int | None = None) -> list[Page]:
    deep = deep_page(patients)
    walked = [
        Page(
            "deep_next",
            f"list page {deep:,} by its Next link (keyset)",
            f"/patients/?page={deep}&after={anchor}",
            search="",
        )
    ]
    return [
        Page("floor", "floor: home page, user with no role", "/", who="floor"),
        Page("home", "home page, clinician", "/"),
        Page("worklists", "worklists, clinician (after home)", "/screening/worklists/"),
        Page("list", "patient list", "/patients/", search=""),
        Page("patient_small", "patient page, 2 meds, 5 screenings", f"/patients/{ids['small']}/"),
        Page("patient_large", "patient page, 40 meds / 30 readings", f"/patients/{ids['large']}/"),
        Page("patient_many", f"patient page, {MANY_SCREENINGS:,} screenings", f"/patients/{ids['many']}/"),
        # as many history rows as the 5,000-screening page shows (the latest 10, then a link to the rest):
        # what the history's length costs, apart from what its 5 more rows than the 5-screening page cost
        Page("patient_eleven", "patient page, 11 screenings (10 rows shown)", f"/patients/{ids['eleven']}/"),
        Page("report_large", "report page, 40 meds", f"/screening/{ids['report_large']}/"),
        Page(
            "screen_now",
            "POST screen now (2 meds)",
            f"/screening/patients/{ids['screen']}/screen/",
            method="POST",
        ),
        Page("search_mrn", f"search by MRN, {patients:,} patients", "/patients/", search=ids["search_mrn"]),
        Page(
            "search_name",
            f"search by name part, {patients:,} patients",
            "/patients/",
            search=SEARCH_NAME_PART,
        ),
        Page(
            "deep",
            f"list page {deep:,} typed (offset {(deep - 1) * PER_PAGE:,})",
            f"/patients/?page={deep}",
            search="",
        ),
        *(walked if anchor is not None else []),
    ]


class VirtualUser:
    def __init__(self, base: str, username: str):
        import requests

        self.base, self.username, self.session = base, username, requests.Session()

    def request(self, method: str, path: str, **kwargs):
        headers = {"X-CSRFToken": self.session.cookies.get("csrftoken", ""), "Referer": self.base + "/"}
        return self.session.request(
            method, self.base + path, headers=headers, timeout=30, allow_redirects=False, **kwargs
        )

    def sign_in(self) -> None:
        self.request("GET", "/accounts/login/")
        data = {
            "username": self.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": self.session.cookies.get("csrftoken", ""),
        }
        response = self.request("POST", "/accounts/login/", data=data)
        if response.status_code != 302 or "/accounts/" in response.headers.get("Location", ""):
            raise RuntimeError(f"{self.username} could not sign in (HTTP {response.status_code})")


def hit(user: VirtualUser, page: Page) -> tuple[bool, int, str]:
    """One request: a page is 200; screen now is a redirect to the new report."""
    response = user.request(page.method, page.path)
    if page.method == "POST":
        ok = response.status_code == 302 and re.search(
            r"/screening/\d+/$", response.headers.get("Location", "")
        )
    else:
        ok = response.status_code == 200
    return (
        bool(ok),
        len(response.content),
        "" if ok else f"HTTP {response.status_code} {response.headers.get('Location', '')}".strip(),
    )


def prepare(users: list[VirtualUser], page: Page) -> None:
    """The page's search term in each session, and one untimed request each."""
    for user in users:
        if page.search is not None:
            user.request("POST", "/patients/", data={"q": page.search})
        if page.method == "GET":
            hit(user, page)


def run_slice(users: list[VirtualUser], page: Page, seconds: float, max_requests: int) -> tuple:
    """`len(users)` threads request the page in a loop until `seconds` pass or `max_requests` are made.
    Returns (latencies of the successful requests, errors, elapsed seconds, response sizes)."""
    prepare(users, page)
    latencies, sizes, errors, lock = [], [], [], threading.Lock()
    started = time.perf_counter()
    until = started + seconds

    def loop(user: VirtualUser) -> None:
        while time.perf_counter() < until and len(latencies) + len(errors) < max_requests:
            t0 = time.perf_counter()
            try:
                ok, size, error = hit(user, page)
            except Exception as exc:  # noqa: BLE001 (a lost connection is counted, not fatal)
                ok, size, error = False, 0, type(exc).__name__
            elapsed = time.perf_counter() - t0
            with lock:
                if ok:
                    latencies.append(elapsed)
                    sizes.append(size)
                else:
                    errors.append(error)

    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        list(pool.map(loop, users))
    return latencies, errors, time.perf_counter() - started, sizes


# 16 slices per page and level (0.6 s each at the default 10 s): the machine's slow spells, seconds long on a
# shared host, then fall on every page about equally; with 4 (2 s slices) the same code's ratios moved 10-15%
# between runs, with 1 up to 30%
ROUNDS = 16


def run_load(
    base: str, pages: list[Page], levels: list[int], seconds: float, max_requests: int, say
) -> list[dict]:
    """Each level: every page, the floor first, `seconds` each, in ROUNDS turns of `seconds / ROUNDS`."""
    signed: dict[str, list[VirtualUser]] = {"clinician": [], "floor": []}
    results = [{"key": p.key, "label": p.label, "path": p.path, "levels": {}} for p in pages]
    for level in levels:
        with ThreadPoolExecutor(max_workers=4) as pool:
            for who, users in signed.items():
                fresh = [VirtualUser(base, f"bench-{who}-{i}") for i in range(len(users), level)]
                list(pool.map(VirtualUser.sign_in, fresh))
                users += fresh
        if level == levels[0]:  # every worker past its first render of each page
            for page in pages:
                for _ in range(4):
                    prepare(signed[page.who][:1], page)
        say(f"  {level} user(s), {len(pages)} pages x {seconds:g} s in {ROUNDS} rounds")
        # each page's time in ROUNDS slices, every page in turn: a slow spell of this shared machine then
        # falls on every page and on the floor alike, not on whichever page was being measured
        pooled = {p.key: ([], [], 0.0, []) for p in pages}
        for _ in range(ROUNDS):
            for page in pages:
                lat, err, elapsed, sizes = run_slice(
                    signed[page.who][:level], page, seconds / ROUNDS, max(1, max_requests // ROUNDS)
                )
                before = pooled[page.key]
                pooled[page.key] = (before[0] + lat, before[1] + err, before[2] + elapsed, before[3] + sizes)
        for page, result in zip(pages, results, strict=True):
            result["levels"][str(level)] = summarize(*pooled[page.key])
        add_floor_ratios(results, "floor", str(level))
    return results


# ------------------------------------------------------------------ the run


def git_commit() -> str:
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return head + ("+changes" if dirty else "")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--patients", type=int, default=FULL_SIZE, help="synthetic patients (default 100,000)"
    )
    parser.add_argument("--users", default="1,5,20", help="concurrency levels (default 1,5,20)")
    parser.add_argument(
        "--seconds", type=float, default=10, help="per page and level (default 10, at most 120)"
    )
    parser.add_argument("--max-requests", type=int, default=5000, help="per page and level (default 5,000)")
    parser.add_argument(
        "--workers", type=int, default=3, help="gunicorn workers (default 3, as docker-compose)"
    )
    parser.add_argument("--json", default=str(ROOT / "bench-results.json"), help="where the results go")
    parser.add_argument("--rebuild", action="store_true", help="build the database again even if it matches")
    parser.add_argument("--drop", action="store_true", help="drop the bench databases and exit")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    if args.drop:
        print("dropped:", ", ".join(drop_databases(args.admin_url)) or "nothing (no bench database)")
        return 0
    fewest = len(HEAVY) + IMPACT_SCREENINGS
    if not fewest <= args.patients <= 1_000_000 or not 0 < args.seconds <= 120:
        parser.error(f"--patients {fewest:,} to 1,000,000; --seconds up to 120")
    levels = parse_users(args.users)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the finally blocks stop gunicorn
    name = database_name(args.patients)
    env = bench_env(_db_url(args.admin_url, name), log_level="INFO")
    os.environ.update(bench_env(_db_url(args.admin_url, name), log_level="WARNING"))

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    exists = bool(admin_sql(args.admin_url, "SELECT 1 FROM pg_database WHERE datname = %s", name))
    if args.rebuild or not exists:
        create_database(args.admin_url, name)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    build_info = {"migrate_seconds": round(time.perf_counter() - started, 1)}
    marker = read_marker()
    if marker is None or marker["patients"] != args.patients:
        if exists and not args.rebuild:  # another data set, or a build that did not finish: start clean
            connections.close_all()
            create_database(args.admin_url, name)
            call_command("migrate", verbosity=0)
            read_marker()
        say(f"building {name}: {args.patients:,} patients")
        call_command("load_defaults", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        started = time.perf_counter()
        ids = build(args.patients, say)
        marker = {"dataset": DATASET, "reader": _reader(), "patients": args.patients, "ids": ids}
        write_marker(marker)
        build_info |= {"reused": False, "bulk_seconds": round(time.perf_counter() - started, 1)}
        say(f"  built in {build_info['bulk_seconds']:.0f} s")
    else:
        build_info["reused"] = True
        say(f"reusing {name} ({args.patients:,} patients); --rebuild or make bench-clean to start over")
    ids = marker["ids"]
    user = ensure_users(max(levels))[0]
    say("in process: engine, impact preview, PDF")
    measured = in_process(ids, user)
    anchor = deep_anchor(args.patients)
    connections.close_all()
    log_path = Path(tempfile.gettempdir()) / f"bench-gunicorn-{os.getpid()}.log"
    say(f"gunicorn, {args.workers} workers (log {log_path})")
    pages = pages_for(ids, args.patients, anchor)
    with gunicorn(env, args.workers, log_path) as base:
        results = run_load(base, pages, levels, args.seconds, args.max_requests, say)
    result = {
        "run": {
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "commit": git_commit(),
            "patients": args.patients,
            "database": name,
            "workers": args.workers,
            "cpus": os.cpu_count(),
            "users": levels,
            "seconds_per_page": args.seconds,
        },
        "build": build_info,
        "floor_label": pages[0].label.removeprefix("floor: "),
        "pages": results,
        "in_process": measured,
    }
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(format_table(result))
    print(f"\n(written to {args.json})")
    return 1 if any(s["errors"] for p in results for s in p["levels"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
