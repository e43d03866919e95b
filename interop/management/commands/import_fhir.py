from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from core.documents import DocumentUnreadable, read_json
from interop.fhir.read import FhirInvalid
from interop.services import fhir_import


class Command(BaseCommand):
    help = (
        "Create or update patients from FHIR R4 Bundle files (each file all or nothing; what a Bundle holds "
        "that the intake has no place for is listed)."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", help="a Bundle as JSON; - for standard input")

    def handle(self, *args, **options):
        failed = 0
        for path in options["files"]:
            try:
                imported = fhir_import(bundle=read_json(path))
            except DocumentUnreadable as exc:
                failed += 1
                self.stderr.write(f"{path}: {exc}")
            except IntegrityError as exc:  # a database rule the format does not express; nothing was stored
                failed += 1
                self.stderr.write(f"{path}: rejected by the database, nothing stored ({type(exc).__name__})")
            except FhirInvalid as exc:
                failed += 1
                self.stderr.write(f"{path}: rejected, nothing stored; {len(exc.problems)} problem(s):")
                for problem in exc.problems:
                    self.stderr.write(f"  {problem['path']}: {problem['message']}")
            else:
                done = "created" if imported.created else "updated"
                self.stdout.write(f"{path}: patient id {imported.patient.pk} {done}")
                if imported.unmapped:
                    self.stdout.write(f"{path}: {len(imported.unmapped)} not mapped:")
                for item in imported.unmapped:
                    self.stdout.write(f"  {item['path']}: {item['message']}")
                if imported.notes:
                    self.stdout.write(f"{path}: {len(imported.notes)} note(s) on the record:")
                for item in imported.notes:
                    self.stdout.write(f"  {item['path']}: {item['message']}")
        if failed:
            raise CommandError(f"{failed} of {len(options['files'])} file(s) rejected", returncode=2)
