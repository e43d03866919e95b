import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from formulary.services import FormularyInvalid, formulary_load
from rules.models import RuleSet
from rules.services import ruleset_import
from screening.engine import RuleSetInvalid, content_sha256

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
# The shipped sets the default replaces, oldest first: an installation still running one of them unmodified
# (same content sha256) is upgraded to the default.
PREVIOUS_SHIPPED = ("ruleset-2026.1.json", "ruleset-2026.2.json", "ruleset-2026.3.json")


class Command(BaseCommand):
    help = "Load the default formulary and rule set from fixtures/ (idempotent)."

    def handle(self, *args, **options):
        try:
            with transaction.atomic():
                self._load()
        except (FormularyInvalid, RuleSetInvalid) as exc:
            raise CommandError("fixture rejected:\n  " + "\n  ".join(exc.errors)) from exc

    def _load(self):
        formulary = json.loads((FIXTURES / "formulary.json").read_text(encoding="utf-8"))
        created, updated = formulary_load(data=formulary)
        self.stdout.write(f"formulary: {created} added, {updated} updated")

        data = json.loads((FIXTURES / "ruleset-default.json").read_text(encoding="utf-8"))
        sha = content_sha256(data)
        existing = RuleSet.objects.filter(sha256=sha).first()
        if existing is not None:
            self.stdout.write(f"rule set {existing.version} already present, sha256 {sha}")
            return
        if RuleSet.objects.filter(version=data["version"]).exists():
            self.stderr.write(
                f"WARNING: rule set {data['version']} is stored with other content than "
                "fixtures/ruleset-default.json; the fixture was not loaded. Give it a new version "
                "label to load it as a new rule set."
            )
            return
        active = RuleSet.objects.filter(is_active=True).first()
        # the shipped sets it replaces: an installation still running one of them unmodified is upgraded
        previous = [json.loads((FIXTURES / name).read_text(encoding="utf-8")) for name in PREVIOUS_SHIPPED]
        upgrade = active is not None and active.sha256 in {content_sha256(doc) for doc in previous}
        publish = active is None or upgrade
        ruleset = ruleset_import(data=data, shipped=publish, note="Default rule set (fixtures/).")
        if active is None:
            self.stdout.write(f"rule set {ruleset.version} loaded (active), sha256 {sha}")
        elif upgrade:
            self.stdout.write(
                f"rule set {ruleset.version} loaded and made active in place of the unmodified "
                f"{active.version} (kept in the history; its screenings keep citing it), sha256 {sha}"
            )
        else:
            versions = [doc["version"] for doc in previous]
            shipped = " or ".join([", ".join(versions[:-1]), versions[-1]] if len(versions) > 1 else versions)
            self.stdout.write(
                f"rule set {ruleset.version} loaded as a DRAFT, sha256 {sha}: the active set "
                f"{active.version} is not the shipped {shipped} unmodified (the clinic changed it), so it "
                "stays active. Compare the two on the rule sets page and publish the draft when ready."
            )
