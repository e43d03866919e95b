"""Page timing benchmark: median server time and query count of the main pages, for a patient with few and
with many medications/readings, on a throwaway database (SQLite in /tmp unless DATABASE_URL is given).
Run: make bench"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp(prefix='bench-')}/bench.sqlite3")
os.environ["DJANGO_ENV_FILE"] = ""  # not the developer's .env: production-like settings below
# production-like: DEBUG off (cached templates, no debug instrumentation)
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DJANGO_SECURE_COOKIES", "0")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["CELERY_BROKER_URL"] = ""

import django  # noqa: E402

django.setup()

from datetime import timedelta  # noqa: E402

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.roles import role_group  # noqa: E402
from patients.models import BloodPressureReading, Diagnosis, MedicationEntry, Patient  # noqa: E402
from screening.services import screening_run  # noqa: E402

NAMES = [
    "Klonopin",
    "lamotrigine",
    "sertraline",
    "Seroquel",
    "gabapentin",
    "lithium",
    "Adderall",
    "lisinopril",
    "amlodipine",
    "metformin",
]


def make_patient(mrn: str, meds: int, readings: int) -> Patient:
    patient = Patient.objects.create(
        mrn=mrn, given_name="Bench", family_name=mrn, date_of_birth="1980-01-01", weight_kg=70
    )
    Diagnosis.objects.create(patient=patient, icd10="F33.2", severity="severe")
    for i in range(meds):
        MedicationEntry.objects.create(
            patient=patient, name=NAMES[i % len(NAMES)], dose_mg=1, times_per_day=1
        )
    now = timezone.now()
    for i in range(readings):
        BloodPressureReading.objects.create(
            patient=patient, taken_at=now - timedelta(hours=i), systolic=130, diastolic=80
        )
    return patient


def measure(client: Client, url: str, runs: int = 30) -> tuple[float, int]:
    client.get(url)  # warm up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(times), len(queries)


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("load_defaults", stdout=open(os.devnull, "w"))  # noqa: SIM115
    user = User.objects.create_user("bench")  # force_login below: no password needed
    user.groups.add(role_group("Clinician"))
    small, large = make_patient("SMALL", 2, 2), make_patient("LARGE", 40, 30)
    for i in range(300):
        Patient.objects.create(
            mrn=f"P{i:04d}", given_name="Filler", family_name=f"Patient{i}", date_of_birth="1990-01-01"
        )
    s_small = screening_run(patient=small, requested_by=user)
    s_large = screening_run(patient=large, requested_by=user)
    client = Client()
    client.force_login(user)
    print(f"database: {connection.vendor}")
    rows = [
        ("patient page, 2 meds / 2 readings", f"/patients/{small.pk}/"),
        ("patient page, 40 meds / 30 readings", f"/patients/{large.pk}/"),
        ("patient list (302 patients, page 1)", "/patients/"),
        ("patient search (terms kept in session)", "SEARCH"),
        ("report page, 2 meds", f"/screening/{s_small.pk}/"),
        ("report page, 40 meds", f"/screening/{s_large.pk}/"),
    ]
    for label, url in rows:
        if url == "SEARCH":
            client.post("/patients/", {"q": "Patient12"})
            url = "/patients/"
        median_ms, queries = measure(client, url)
        print(f"{label:<40} median {median_ms:6.1f} ms   {queries:2d} queries")
    start = time.perf_counter()
    for _ in range(10):
        screening_run(patient=large, requested_by=user)
    print(f"{'screening_run (store), 40 meds':<40} mean   {(time.perf_counter() - start) * 100:6.1f} ms")


if __name__ == "__main__":
    main()
