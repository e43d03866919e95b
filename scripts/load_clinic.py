"""Bounded load on a running server (loopback only): clinicians and report staff as threads, for a fixed time.

Clinician mix, in a loop: patient list, a patient's page, screen now, the report page (signed in once, at
the start: sign-in is timed too). Staff mix: the report list, request a report's PDF, poll its status until
ready, download it. Prints requests, errors, requests per second, p50/p95 latency per step, and PDFs
produced; exits 1 on any error. Physicians need a second factor, so the load uses clinicians and report
staff (no second factor by default).

    # once, against the server's database (same DATABASE_URL as the server): load users and patients
    DATABASE_URL=... .venv/bin/python scripts/load_clinic.py --prepare
    # then, with gunicorn and a Celery worker running:
    .venv/bin/python scripts/load_clinic.py --base-url http://127.0.0.1:8000 --users 20 --duration 120
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load-test-password-not-for-production"  # noqa: S105 (throwaway accounts of a load database)
PDF_WAIT_SECONDS = 60


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    pdfs: int = 0
    outdated: int = 0  # became outdated between "ready" and the download (a newer screening)
    screenings_with_pdf: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, step: str, seconds: float, error: str | None = None) -> None:
        with self.lock:
            self.latencies[step].append(seconds)
            if error:
                self.errors.append(f"{step}: {error}")

    def fail(self, step: str, error: str) -> None:
        with self.lock:
            self.errors.append(f"{step}: {error}")


class VirtualUser:
    def __init__(self, base: str, username: str, results: Results):
        self.base = base.rstrip("/")
        self.username = username
        self.results = results
        self.session = requests.Session()

    def call(
        self, step: str, method: str, path: str, *, expect: str | None = None, at: str | None = None, **kwargs
    ):
        """One request, timed; an HTTP error, a lost connection, a missing expected text or (after redirects)
        another path than `at` is an error."""
        started = time.perf_counter()
        error = None
        response = None
        try:
            headers = {"X-CSRFToken": self.session.cookies.get("csrftoken", ""), "Referer": self.base + "/"}
            response = self.session.request(method, self.base + path, headers=headers, timeout=30, **kwargs)
            if response.status_code >= 400:
                error = f"HTTP {response.status_code} {path}"
            elif at is not None and not re.fullmatch(at, urlsplit(response.url).path):
                error = f"unexpected page for {path} (at {urlsplit(response.url).path})"
            elif expect is not None and not re.search(expect, response.text[:200_000]):
                error = f"unexpected content for {path}"
        except requests.RequestException as exc:
            error = f"{type(exc).__name__} {path}"
        self.results.record(step, time.perf_counter() - started, error)
        return None if error else response

    def sign_in(self) -> bool:
        page = self.call("sign-in page", "GET", "/accounts/login/")
        if page is None:
            return False
        data = {
            "username": self.username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": self.session.cookies.get("csrftoken", ""),
        }
        # signed in: the login page redirects away (to the home worklist)
        return (
            self.call("sign in", "POST", "/accounts/login/", data=data, at=r"(?!/accounts/login/).*")
            is not None
        )


def clinician_loop(user: VirtualUser, until: float) -> None:
    if not user.sign_in():
        return
    while time.monotonic() < until:
        listing = user.call("patient list", "GET", "/patients/", expect=r"/patients/\d+/")
        if listing is None:
            time.sleep(1)
            continue
        patient = random.choice(re.findall(r'href="/patients/(\d+)/"', listing.text) or ["0"])  # noqa: S311
        if user.call("patient page", "GET", f"/patients/{patient}/") is None:
            continue
        report = user.call(
            "screen now", "POST", f"/screening/patients/{patient}/screen/", at=r"/screening/\d+/"
        )
        if report is None:
            continue
        screening = re.search(r"/screening/(\d+)/$", report.url).group(1)
        user.call("report page", "GET", f"/screening/{screening}/", expect="Verdict|VERDICT|verdict")


def staff_loop(user: VirtualUser, until: float) -> None:
    if not user.sign_in():
        return
    while time.monotonic() < until:
        listing = user.call("report list", "GET", "/screening/reports/")
        ids = [] if listing is None else re.findall(r'href="/screening/(\d+)/"', listing.text)
        if not ids:  # nothing screened yet (or the list failed, counted above): look again shortly
            time.sleep(1)
            continue
        ids = sorted({int(i) for i in ids}, reverse=True)
        screening = random.choice(ids[:10])  # noqa: S311 (the newest reports, as a desk prints them)
        if user.call("request PDF", "POST", f"/screening/{screening}/pdf/") is None:
            continue
        deadline = time.monotonic() + PDF_WAIT_SECONDS
        status = ""
        while time.monotonic() < deadline:
            polled = user.call("poll PDF status", "GET", f"/screening/{screening}/pdf/status/")
            status = "" if polled is None else re.search(r'data-status="(\w+)"', polled.text).group(1)
            if status in ("ready", "failed", "outdated", ""):
                break
            time.sleep(1)
        if status == "outdated":  # superseded in between: a new request renders it again
            with user.results.lock:
                user.results.outdated += 1
            continue
        if status != "ready":
            user.results.fail("poll PDF status", f"PDF of screening {screening} ended {status or 'unknown'}")
            continue
        download = user.call("download PDF", "GET", f"/screening/{screening}/pdf/download/")
        if download is not None and download.content.startswith(b"%PDF"):
            with user.results.lock:
                user.results.pdfs += 1
                user.results.screenings_with_pdf.add(screening)
        elif download is not None:
            # refused, back on the report page: a clinician screened the patient again in between, so the
            # PDF is outdated (the report is no longer current), as the page then says; anything else is an error
            polled = user.call("poll PDF status", "GET", f"/screening/{screening}/pdf/status/")
            if polled is not None and 'data-status="outdated"' in polled.text:
                with user.results.lock:
                    user.results.outdated += 1
            else:
                user.results.fail("download PDF", "not a PDF")


def prepare(users: int) -> None:
    """Users (clinicians and report staff, password PASSWORD) and the example patients, in the database
    DATABASE_URL names. Idempotent."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django  # a script's own Django set-up, only for --prepare

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from core.roles import CLINICIAN, REPORT_STAFF, role_group
    from patients.services import intake_import

    call_command("load_defaults")
    expected = json.loads((ROOT / "examples" / "expected.json").read_text())
    for name, want in expected.items():
        if "verdict" in want:
            intake_import(doc=json.loads((ROOT / "examples" / f"{name}.json").read_text()))
    for i in range(users):
        for prefix, role in (("load-clinician", CLINICIAN), ("load-staff", REPORT_STAFF)):
            user, _ = User.objects.get_or_create(username=f"{prefix}-{i}")
            user.set_password(PASSWORD)
            user.save()
            user.groups.add(role_group(role))
    print(f"prepared {users} clinicians and {users} report staff, {len(expected)} example patients")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--users", type=int, default=20, help="concurrent users (default 20)")
    parser.add_argument(
        "--staff", type=int, default=None, help="how many of them are report staff (default 1/3)"
    )
    parser.add_argument("--duration", type=float, default=120, help="seconds (default 120, at most 900)")
    parser.add_argument(
        "--prepare", action="store_true", help="create the load users and patients, then exit"
    )
    args = parser.parse_args()
    if args.prepare:
        prepare(args.users)
        return 0
    host = urlsplit(args.base_url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("load is sent to loopback only")
    staff = args.users // 3 if args.staff is None else args.staff
    summary = run(base_url=args.base_url, users=args.users, staff=staff, duration=args.duration)
    print(json.dumps(summary, indent=2))
    return 1 if summary["errors"] else 0


def run(*, base_url: str, users: int, staff: int, duration: float) -> dict:
    """`users` threads (the first `staff` of them report staff) for `duration` seconds (at most 900)."""
    results = Results()
    started = time.monotonic()
    until = started + min(duration, 900)
    with ThreadPoolExecutor(max_workers=users) as pool:
        for i in range(users):
            if i < staff:
                pool.submit(staff_loop, VirtualUser(base_url, f"load-staff-{i}", results), until)
            else:
                pool.submit(clinician_loop, VirtualUser(base_url, f"load-clinician-{i}", results), until)
    return report(results, time.monotonic() - started, users, staff)


def report(results: Results, elapsed: float, users: int, staff: int) -> dict:
    every = [s for values in results.latencies.values() for s in values]
    return {
        "users": users,
        "staff": staff,
        "seconds": round(elapsed, 1),
        "requests": len(every),
        "requests_per_second": round(len(every) / elapsed, 1),
        "errors": len(results.errors),
        "first_errors": results.errors[:10],
        "p50_ms": round(statistics.median(every) * 1000, 1) if every else None,
        "p95_ms": round(percentile(every, 0.95) * 1000, 1) if every else None,
        "pdfs_downloaded": results.pdfs,
        "screenings_with_a_pdf": len(results.screenings_with_pdf),
        "pdfs_outdated_before_download": results.outdated,
        "steps": {
            step: {
                "count": len(values),
                "p50_ms": round(statistics.median(values) * 1000, 1),
                "p95_ms": round(percentile(values, 0.95) * 1000, 1),
            }
            for step, values in sorted(results.latencies.items())
        },
    }


if __name__ == "__main__":
    sys.exit(main())
