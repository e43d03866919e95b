from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core.retention import history_purge


class Command(BaseCommand):
    help = (
        "The change history of records: purge --older-than-days N (the retention purge, the only way rows "
        "leave the history tables; each table purged is an audit event). Clinical records are never purged."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        purge = sub.add_parser("purge", help="remove history rows older than the retention period")
        purge.add_argument("--older-than-days", type=int, required=True)

    def handle(self, *args, **options):
        days = options["older_than_days"]
        if days < 1:
            raise CommandError("--older-than-days must be at least 1")
        purged = history_purge(before=timezone.now() - timedelta(days=days))
        for item in purged:
            self.stdout.write(f"{item.table}: {item.count} rows removed")
        total = sum(item.count for item in purged)
        self.stdout.write(f"{total} history rows older than {days} days removed")
