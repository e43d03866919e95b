from django.conf import settings
from django.core.management.base import BaseCommand

from screening.services import pdf_sweep


class Command(BaseCommand):
    help = (
        "Re-queue the consult PDFs stuck in queued or rendering for longer than PDF_STUCK_SECONDS (their "
        "worker died); mark failed those that started PDF_MAX_ATTEMPTS renders. For clinics that run no "
        "celery beat: call it every minute from cron. Idempotent."
    )

    def handle(self, *args, **options):
        counts = pdf_sweep()
        self.stdout.write(
            f"re-queued {counts['requeued']}, failed {counts['failed']} "
            f"(stuck after {settings.PDF_STUCK_SECONDS} s, at most {settings.PDF_MAX_ATTEMPTS} attempts)"
        )
