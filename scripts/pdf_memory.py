"""The PDF worker's memory over many renders (issue 15): does a pool child's memory stay bounded?

Starts a real `celery -A config worker` (prefork, 2 children) on its own queue, queues N PDFs of N
screenings of one synthetic patient, and samples every pool child's resident memory (from /proc) until
all are ready. Prints the peak per 50 PDFs done, the children seen (a child is replaced after
CELERY_WORKER_MAX_TASKS_PER_CHILD tasks) and the overall peak. Linux only; needs PostgreSQL and Redis:

    createdb -h 127.0.0.1 -U postgres pdfmem
    DJANGO_SECRET_KEY=measure DJANGO_ALLOWED_HOSTS=localhost DATABASE_URL=postgres://postgres@127.0.0.1:5432/pdfmem \\
        CELERY_BROKER_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python scripts/pdf_memory.py --pdfs 400 --max-tasks-per-child 50
    # the same without recycling, to compare:  --max-tasks-per-child 0
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from io import StringIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ENV_FILE", "")


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pdfs", type=int, default=400)
    parser.add_argument("--max-tasks-per-child", type=int, default=50, help="0: never replace a child")
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    if not os.environ.get("CELERY_BROKER_URL") or "postgres" not in os.environ.get("DATABASE_URL", ""):
        parser.error("set DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis)")

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from config.celery import app
    from core.roles import CLINICIAN, role_group
    from patients.services import intake_import
    from screening.models import ReportPdf
    from screening.services import pdf_request, screening_run

    queue = f"pdfmem-{os.getpid()}"
    app.conf.task_default_queue = queue
    call_command("migrate", verbosity=0)
    call_command("load_defaults", stdout=StringIO())
    user, _ = get_user_model().objects.get_or_create(username="pdf-memory")
    user.groups.add(role_group(CLINICIAN))
    doc = json.loads((ROOT / "examples" / "deferred-bp-and-benzodiazepine.json").read_text())
    patient, _ = intake_import(doc=doc)
    screenings = [
        screening_run(patient=patient, requested_by=user, as_of=date(2026, 11, 20)) for _ in range(args.pdfs)
    ]

    env = dict(
        os.environ, CELERY_QUEUE=queue, CELERY_WORKER_MAX_TASKS_PER_CHILD=str(args.max_tasks_per_child)
    )
    if not args.max_tasks_per_child:  # the comparison: limits never reached (the worker refuses 0)
        env.update(
            CELERY_WORKER_MAX_TASKS_PER_CHILD=str(10**9), CELERY_WORKER_MAX_MEMORY_PER_CHILD=str(10**9)
        )
    log = tempfile.NamedTemporaryFile("w+", prefix="pdf-memory-worker-", suffix=".log")  # noqa: SIM115
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "config", "worker", "--pool=prefork",
         "--concurrency=2", "--loglevel=WARNING", "--without-gossip", "--without-mingle", "-n", f"{queue}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    started = time.monotonic()
    ids = [pdf_request(screening=s, user=user).pk for s in screenings]
    peak_by_child: dict[int, int] = {}
    window_peak, windows, next_mark = 0, [], 50
    try:
        while time.monotonic() - started < args.timeout:
            if worker.poll() is not None:
                log.seek(0)
                raise SystemExit(
                    f"the worker exited ({worker.returncode}) before the PDFs were ready:\n{log.read()}"
                )
            for child in children(worker.pid):
                kb = rss_kb(child)
                peak_by_child[child] = max(peak_by_child.get(child, 0), kb)
                window_peak = max(window_peak, kb)
            ready = ReportPdf.objects.filter(pk__in=ids, status=ReportPdf.Status.READY).count()
            while ready >= next_mark:
                windows.append((next_mark, window_peak))
                window_peak, next_mark = 0, next_mark + 50
            if ready == len(ids):
                break
            time.sleep(0.25)
        took = time.monotonic() - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        with app.connection_for_write() as conn:
            conn.default_channel.client.delete(queue, f"_kombu.binding.{queue}")
    ready = ReportPdf.objects.filter(pk__in=ids, status=ReportPdf.Status.READY).count()
    print(f"{ready} of {len(ids)} PDFs ready in {took:.0f} s, max tasks per child {args.max_tasks_per_child}")
    print("PDFs done  peak child RSS (MB) in the window")
    for mark, kb in windows:
        print(f"{mark:9d}  {kb / 1024:6.0f}")
    print(
        f"pool children seen: {len(peak_by_child)}; peak RSS of any child: {max(peak_by_child.values()) / 1024:.0f} MB"
    )
    return 0 if ready == len(ids) else 1


if __name__ == "__main__":
    sys.exit(main())
