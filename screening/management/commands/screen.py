import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.documents import DocumentUnreadable, read_json
from rules.selectors import NoActiveRuleSet
from screening.engine import report_to_dict
from screening.intake import IntakeInvalid, validate_intake
from screening.pdf import PdfUnavailable, render_report_pdf
from screening.services import intake_evaluate
from screening.textreport import report_text


class Command(BaseCommand):
    help = "Screen a ketamine-intake/1 JSON document (a path, or - for stdin) and print the report."

    def add_arguments(self, parser):
        parser.add_argument("file", help="intake JSON file, or - to read standard input")
        parser.add_argument("--format", choices=["json", "text"], default="json")
        parser.add_argument(
            "--pdf", metavar="OUT.pdf", help="also render the consult PDF to this file (synchronously)"
        )

    def handle(self, *args, **options):
        source = options["file"]
        try:
            doc = read_json(source)
        except DocumentUnreadable as exc:
            if str(exc).startswith("cannot read"):
                raise CommandError(f"{source}: {exc}") from exc
            self.stderr.write(f"{source}: {exc}")
            raise SystemExit(2) from exc
        try:
            report = intake_evaluate(intake=doc)
        except IntakeInvalid as exc:
            self.stderr.write(f"{source}: rejected, {len(exc.errors)} problem(s):")
            for problem in exc.errors:
                self.stderr.write(f"  {problem}")
            raise SystemExit(2) from exc
        except NoActiveRuleSet as exc:
            raise CommandError(str(exc)) from exc
        if options["pdf"]:
            self._write_pdf(report, doc, options["pdf"])
        if options["format"] == "text":
            self.stdout.write(report_text(report))
        else:
            self.stdout.write(json.dumps(report_to_dict(report), indent=2, ensure_ascii=False))

    def _write_pdf(self, report, doc, out):
        try:
            content = render_report_pdf(report=report_to_dict(report), intake=validate_intake(doc))
        except PdfUnavailable as exc:
            raise CommandError(str(exc)) from exc
        Path(out).write_bytes(content)
        self.stderr.write(f"PDF written to {out} ({len(content)} bytes)")
