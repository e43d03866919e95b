import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from patients.models import Patient
from patients.selectors import patient_record
from patients.services import intake_export


class Command(BaseCommand):
    help = "Write a patient as a ketamine-intake/1 document (stdout, or --output FILE)."

    def add_arguments(self, parser):
        parser.add_argument("mrn")
        parser.add_argument("--output", "-o", help="file to write instead of stdout")
        parser.add_argument("--assessed-on", help="assessment date (YYYY-MM-DD); default today")

    def handle(self, *args, **options):
        pk = Patient.objects.filter(mrn__iexact=options["mrn"].strip()).values_list("pk", flat=True).first()
        if pk is None:
            raise CommandError(f"no patient with MRN {options['mrn']}")
        assessed_on = timezone.localdate()
        if options["assessed_on"]:
            try:
                assessed_on = date.fromisoformat(options["assessed_on"])
            except ValueError as exc:
                raise CommandError("--assessed-on must be YYYY-MM-DD") from exc
        text = json.dumps(
            intake_export(patient=patient_record(pk), assessed_on=assessed_on), indent=2, ensure_ascii=False
        )
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
        else:
            self.stdout.write(text)
