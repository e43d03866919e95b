"""manage.py formulary export [FILE] | import FILE | versions: the formulary as a `ketamine-formulary/1`
document. An import is validated whole (nothing is stored on an error) and records a new version when the
content changed; an export then import round-trips to the same version hash."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.documents import DocumentUnreadable, read_json
from formulary.models import FormularyVersion
from formulary.services import FormularyInvalid, formulary_document, formulary_load, formulary_sha256


class Command(BaseCommand):
    help = "Export, import or list the versions of the formulary (ketamine-formulary/1)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write the formulary as JSON (to stdout without FILE)")
        export.add_argument("file", nargs="?")
        load = sub.add_parser("import", help="load a formulary document: entries by generic name")
        load.add_argument("file")
        sub.add_parser("versions", help="list the formulary versions, newest first")

    def handle(self, *args, **options):
        action = options["action"]
        if action == "export":
            document = formulary_document()
            text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
            if options["file"]:
                Path(options["file"]).write_text(text, encoding="utf-8")
                self.stderr.write(f"{len(document['entries'])} entries, sha256 {formulary_sha256(document)}")
            else:
                sys.stdout.write(text)
        elif action == "import":
            try:
                data = read_json(options["file"])
            except DocumentUnreadable as exc:
                raise CommandError(str(exc)) from exc
            try:
                created, updated = formulary_load(data=data)
            except FormularyInvalid as exc:
                raise CommandError(
                    "formulary invalid, nothing imported:\n  " + "\n  ".join(exc.errors)
                ) from exc
            version = FormularyVersion.objects.order_by("-number").first()
            self.stdout.write(
                f"formulary: {created} added, {updated} updated; version {version.number} sha256 {version.sha256}"
            )
        else:
            for version in FormularyVersion.objects.order_by("-number"):
                self.stdout.write(
                    f"v{version.number}  {version.created_at:%Y-%m-%d %H:%M}  {version.entries} entries  {version.sha256}"
                )
