import json
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from patients.services import intake_import

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo-patients.json"


def shifted_to(doc: dict, now: datetime) -> dict:
    """Move the readings so the latest was taken half an hour ago and assess today: demo data stays recent."""
    readings = doc.get("blood_pressure", [])
    doc = {**doc, "assessed_on": timezone.localdate(now).isoformat()}
    if readings:
        latest = max(datetime.fromisoformat(r["taken_at"]) for r in readings)
        shift = now - timedelta(minutes=30) - latest
        doc["blood_pressure"] = [
            {**r, "taken_at": (datetime.fromisoformat(r["taken_at"]) + shift).isoformat()} for r in readings
        ]
    return doc


class Command(BaseCommand):
    help = "Load the synthetic demo patients (development only: refuses to run without DEBUG)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo patients are for local development only (DJANGO_DEBUG=1)")
        docs = json.loads(DEMO_FILE.read_text(encoding="utf-8"))["patients"]
        now = timezone.now()
        with transaction.atomic():
            for doc in docs:
                intake_import(doc=shifted_to(doc, now))
        self.stdout.write(f"{len(docs)} synthetic demo patients loaded")
