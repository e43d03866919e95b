from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.documents import DocumentUnreadable, read_json
from rules.selectors import NoActiveRuleSet
from screening.intake import IntakeInvalid
from screening.services import intake_evaluate

EXAMPLES = Path(settings.BASE_DIR) / "examples"


class Command(BaseCommand):
    help = (
        "Screen every intake in examples/ (as `screen` does) and compare each with examples/expected.json: "
        "the verdict and the rule codes it must show, or the path a rejected document must name. "
        "Exits 1 on any mismatch."
    )

    def add_arguments(self, parser):
        parser.add_argument("--folder", default=str(EXAMPLES), help="a folder with expected.json")

    def handle(self, *args, **options):
        folder = Path(options["folder"])
        try:
            expected = read_json(str(folder / "expected.json"))
        except DocumentUnreadable as exc:
            raise CommandError(f"{folder / 'expected.json'}: {exc}") from exc
        if not isinstance(expected, dict) or not all(
            isinstance(w, dict) and ("verdict" in w or "reject" in w) for w in expected.values()
        ):
            raise CommandError(
                'expected.json must map each example name to {"verdict", "has"} or {"reject": PATH}'
            )
        unlisted = sorted(
            p.stem for p in folder.glob("*.json") if p.stem not in expected and p.name != "expected.json"
        )
        if unlisted:
            raise CommandError(f"examples without an entry in expected.json: {', '.join(unlisted)}")
        mismatches = 0
        for name, wanted in sorted(expected.items()):
            problem = self._check(folder / f"{name}.json", wanted)
            mismatches += problem is not None
            self.stdout.write(f"{'FAIL' if problem else 'ok  '} {name}: {problem or self._summary(wanted)}")
        self.stdout.write(f"{len(expected) - mismatches} passed, {mismatches} failed")
        if mismatches:
            raise CommandError(f"{mismatches} example(s) do not match expected.json", returncode=1)

    @staticmethod
    def _summary(wanted: dict) -> str:
        if "reject" in wanted:
            return f"rejected, naming {wanted['reject']}"
        return f"{wanted['verdict']} with {', '.join(wanted.get('has', [])) or 'no required rule'}"

    @staticmethod
    def _check(path: Path, wanted: dict) -> str | None:
        """None when the example screens as expected; otherwise what differs."""
        try:
            doc = read_json(str(path))
        except DocumentUnreadable as exc:
            return f"{path.name}: {exc}"
        try:
            report = intake_evaluate(intake=doc)
        except NoActiveRuleSet as exc:
            raise CommandError(str(exc)) from exc
        except IntakeInvalid as exc:
            if "reject" in wanted and any(p.path == wanted["reject"] for p in exc.problems):
                return None
            return "rejected: " + "; ".join(exc.errors)
        if "reject" in wanted:
            return f"expected a rejection naming {wanted['reject']}, got {report.verdict}"
        missing = set(wanted.get("has", [])) - set(report.rule_codes)
        if report.verdict != wanted["verdict"] or missing:
            return f"expected {wanted['verdict']}, got {report.verdict}" + (
                f"; missing {', '.join(sorted(missing))}" if missing else ""
            )
        return None
