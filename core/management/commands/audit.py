import sys
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.audit import audit_purge, audit_verify


class Command(BaseCommand):
    help = (
        "The audit trail: verify (walk the hash chain, report the first broken link; exit 1 when broken), "
        "purge --older-than-days N (the retention purge: removes older events, leaves a signed checkpoint)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="walk the hash chain from its start (the genesis or a checkpoint)")
        purge = sub.add_parser("purge", help="remove events older than the retention period")
        purge.add_argument("--older-than-days", type=int, required=True)

    def handle(self, *args, **options):
        if options["action"] == "verify":
            check = audit_verify()
            if check.ok:
                self.stdout.write(f"{check.checked} events, the chain holds")
                return
            self.stdout.write(
                f"BROKEN at event #{check.broken_at}: {check.reason} ({check.checked} events checked before it)"
            )
            sys.exit(1)
        days = options["older_than_days"]
        if days < 1:
            raise CommandError("--older-than-days must be at least 1")
        removed = audit_purge(before=timezone.now() - timedelta(days=days))
        self.stdout.write(
            f"{removed} events older than {days} days removed; a signed checkpoint continues the chain"
        )
