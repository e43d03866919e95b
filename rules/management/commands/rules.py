import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.documents import DocumentUnreadable, read_json
from rules.bench import ruleset_test_results
from rules.catalogue import catalogue_markdown
from rules.checks import class_problems
from rules.models import RuleSet
from rules.selectors import DEFAULT_FIXTURE, free_version, ruleset_document
from rules.services import ruleset_import
from screening.engine import RuleSetInvalid, ruleset_from_data
from screening.engine.testbench import coverage_problems


def _read(path: str) -> dict:
    try:
        return read_json(path)
    except DocumentUnreadable as exc:
        raise CommandError(f"{path}: {exc}") from exc


class Command(BaseCommand):
    help = (
        "Rule sets as fixture files: export [VERSION], import FILE (creates a draft), test FILE|VERSION, "
        "doc [FILE|VERSION] (the Markdown rule catalogue; default: the default rule-set fixture)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write a rule set (default: the active one) as a fixture")
        export.add_argument("version", nargs="?")
        export.add_argument("--output", "-o")
        imp = sub.add_parser("import", help="validate a fixture and create a draft rule set from it")
        imp.add_argument("file")
        imp.add_argument("--version", help="version label for the draft (default: the file's)")
        test = sub.add_parser("test", help="run the test bench of a fixture file or a stored version")
        test.add_argument("source", help="a fixture file, or the version label of a stored rule set")
        doc = sub.add_parser("doc", help="print the rule catalogue (Markdown) of a fixture file or a version")
        doc.add_argument("source", nargs="?", help="default: fixtures/ruleset-default.json of this project")

    def handle(self, *args, **options):
        getattr(self, f"_{options['action']}")(options)

    def _ruleset(self, version):
        query = RuleSet.objects.prefetch_related("rules")
        ruleset = query.filter(version=version).first() if version else query.filter(is_active=True).first()
        if ruleset is None:
            raise CommandError(f"no rule set {version}" if version else "no active rule set")
        return ruleset

    def _export(self, options):
        text = (
            json.dumps(ruleset_document(self._ruleset(options["version"])), indent=2, ensure_ascii=False)
            + "\n"
        )
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"written to {options['output']}")
        else:
            self.stdout.write(text, ending="")

    def _import(self, options):
        data = _read(options["file"])
        if options["version"]:
            if RuleSet.objects.filter(version=options["version"]).exists():
                raise CommandError(f"a rule set with version {options['version']!r} exists; choose another")
            data["version"] = options["version"]
        elif isinstance(data, dict) and isinstance(data.get("version"), str):
            taken = data["version"]
            data["version"] = free_version(taken)
            if data["version"] != taken:
                self.stderr.write(f"version {taken} exists; the draft is named {data['version']}")
        try:
            ruleset = ruleset_import(data=data)
        except RuleSetInvalid as exc:
            self.stderr.write(f"{options['file']}: rejected, nothing imported; {len(exc.errors)} problem(s):")
            for problem in exc.errors:
                self.stderr.write(f"  {problem}")
            raise CommandError("rule set rejected", returncode=2) from exc
        self.stdout.write(
            f"draft {ruleset.version} created ({ruleset.rules.count()} rules), sha256 {ruleset.sha256}"
        )

    def _doc(self, options):
        source = options["source"]
        if source is None:
            document, name = _read(str(DEFAULT_FIXTURE)), str(DEFAULT_FIXTURE.relative_to(settings.BASE_DIR))
        elif Path(source).exists():
            document, name = _read(source), source
        else:
            document, name = ruleset_document(self._ruleset(source)), f"rule set {source} (database)"
        try:
            ruleset_from_data(document)
        except RuleSetInvalid as exc:
            raise CommandError("rule set invalid:\n  " + "\n  ".join(exc.errors)) from exc
        self.stdout.write(catalogue_markdown(document, name), ending="")

    def _test(self, options):
        """Run the test bench and say what keeps the set from being published: failing cases, an enabled
        rule without a firing or a silent case, a class no formulary entry has. Exit 1 on any of them."""
        source = options["source"]
        document = _read(source) if Path(source).exists() else ruleset_document(self._ruleset(source))
        try:
            results = ruleset_test_results(document)
        except RuleSetInvalid as exc:
            raise CommandError("rule set invalid:\n  " + "\n  ".join(exc.errors)) from exc
        failed = [r for r in results if not r.passed]
        for r in failed:
            got = "invalid intake: " + r.problem if r.fired is None else ("fired" if r.fired else "silent")
            self.stdout.write(
                f"FAIL {r.rule} [{r.name}]: expected {'fire' if r.expected_fire else 'silent'}, {got}"
            )
        unfit = class_problems(document, required=True) + coverage_problems(document)
        for problem in unfit:
            self.stdout.write(f"NOT PUBLISHABLE {problem}")
        self.stdout.write(f"{len(results) - len(failed)} passed, {len(failed)} failed")
        if failed or unfit:
            sys.exit(1)
