from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from core.documents import DocumentUnreadable, read_json
from patients.services import intake_import
from screening.intake import IntakeInvalid


class Command(BaseCommand):
    help = "Create or update patients from ketamine-intake/1 files (each file all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")

    def handle(self, *args, **options):
        failed = 0
        for path in options["files"]:
            try:
                patient, created = intake_import(doc=read_json(path))
            except DocumentUnreadable as exc:
                failed += 1
                self.stderr.write(f"{path}: {exc}")
            except IntegrityError as exc:  # a database rule the format does not express; nothing was stored
                failed += 1
                self.stderr.write(f"{path}: rejected by the database, nothing stored ({type(exc).__name__})")
            except IntakeInvalid as exc:
                failed += 1
                self.stderr.write(f"{path}: rejected, nothing stored; {len(exc.errors)} problem(s):")
                for problem in exc.errors:
                    self.stderr.write(f"  {problem}")
            else:
                self.stdout.write(f"{path}: patient id {patient.pk} {'created' if created else 'updated'}")
        if failed:
            raise CommandError(f"{failed} of {len(options['files'])} file(s) rejected", returncode=2)
