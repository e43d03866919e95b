"""Forms of the rules admin pages: a rule (its plain fields, its predicate as a tree of fields, its test cases
and override reasons as rows) and a rule set's protocol and test baseline. The predicate, the test cases,
the protocol and the baseline can also be posted as raw JSON (the advanced fallback: the page shows a
textarea named after the field with ?predicate=json, ?tests=json, ?protocol=json, ?baseline=json).
Engine problems are placed on the field their path names; what names no field is shown above the form."""

import json
import re

from django import forms

from core.documents import DocumentUnreadable
from screening.engine import SEVERITIES
from screening.engine.problems import Problem

from .editor import apply_kind_changes, apply_structure, draft_of, kinds_changed, predicate_of, read_tree
from .editor_widgets import case_views, field_view, render_tree, row_views
from .rows import (
    ChecklistDraft,
    cases_from_post,
    cases_of,
    checklist_drafts,
    checklist_from_post,
    checklist_of,
    intake_from_rows,
    intake_rows,
    read_json_text,
    reason_rows_from_post,
    reasons_of,
    rows_from_post,
    rule_tests_of,
    split_tokens,
)

CLASSES_DATALIST = "formulary-classes"
INDEXED = re.compile(r"^(\w+)\[(\d+)\](?:\.(\w+))?")


class JSONField(forms.CharField):
    """Raw JSON, read as PostgreSQL will store it (no NaN, no NUL, not too deep or too large)."""

    widget = forms.Textarea(attrs={"rows": 8, "class": "font-monospace", "spellcheck": "false"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value.strip():
            return None
        try:
            return read_json_text(value)
        except DocumentUnreadable as exc:
            message = str(exc)
            raise forms.ValidationError(f"{message[:1].upper()}{message[1:]}.") from exc


JSON_HELP = {
    "predicate": '{"kind": "...", "params": {...}}: see the predicate kinds below.',
    "tests": '[{"name": "...", "intake": {...}, "fires": true}, ...]',
    "override_reasons": '[{"code": "...", "display": "..."}]',
    "protocol": "dose_mg_per_kg [low, high], infusion_minutes [shortest, longest], validity_days, "
    "bp_window_days, dose_sources, checklist",
    "test_baseline": "The ketamine-intake/1 document each rule's test cases are merged onto.",
}


class RuleForm(forms.Form):
    severity = forms.ChoiceField(choices=[(s, s) for s in SEVERITIES])
    title = forms.CharField(max_length=200)
    action = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    sources = forms.CharField(help_text="Source ids separated by commas, e.g. S5, A1")
    enabled = forms.BooleanField(required=False)
    override = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Severity's default"),
            ("none", "none: cannot be overridden"),
            ("reason", "reason: a physician, with a reason"),
            ("cosign", "cosign: a physician's reason and a second physician's co-signature"),
        ],
        help_text="Defaults: contraindicated cosign (PREG-PREGNANT, MED-KETAMINE-ALLERGY none); defer and "
        "review reason; missing, not_candidate, precaution and info none (and only none).",
    )

    def __init__(self, *args, raw=(), **kwargs):
        """`raw`: the structured parts (predicate, tests, override_reasons) that come as JSON text."""
        super().__init__(*args, **kwargs)
        for name in raw:
            self.fields[name] = JSONField(required=name == "predicate", help_text=JSON_HELP[name])

    def clean_sources(self):
        return split_tokens(self.cleaned_data["sources"])


class NewRuleForm(RuleForm):
    code = forms.CharField(max_length=40, help_text="Upper-case words joined by '-', e.g. MEDS-NEW-CLASS")
    field_order = ["code"]


def _place(problems: list[Problem], section: str, prefix: str, kept: list[int], errors: dict) -> None:
    """Problems of a list the engine numbers ("tests[2].fires") on the row of the page that holds it."""
    for problem in problems:
        m = INDEXED.match(problem.path)
        if m and m.group(1) == section and int(m.group(2)) < len(kept):
            at = f"{prefix}.{kept[int(m.group(2))]}"
            errors.setdefault(f"{at}.{m.group(3)}" if m.group(3) else at, []).append(problem.message)
        else:
            errors.setdefault(prefix, []).append(str(problem))


class RuleEditor:
    """One rule's page: the plain fields (a Django form), the predicate tree, the test cases and the
    override reasons; the predicate and the test cases also as raw JSON, on request."""

    STRUCTURED = ("predicate", "tests", "override_reasons")

    def __init__(self, *, form, tree, cases, reasons, raw, structure=""):
        self.form, self.tree, self.cases, self.reasons, self.raw = form, tree, cases, reasons, raw
        self.structure = structure
        self.problems: list[Problem] = []  # predicate problems with engine paths, the rest by field name
        self.kept: list[int] = []  # the place on the page of each test case saved
        self.top: list[str] = []

    @classmethod
    def for_rule(cls, document: dict, *, new: bool = False, raw=()):
        raw = tuple(name for name in cls.STRUCTURED if name in raw)
        initial = {
            **{key: document.get(key, "") for key in ("severity", "title", "action", "override")},
            "sources": ", ".join(document.get("sources", [])),
            "enabled": document.get("enabled", True),
            **{name: json.dumps(document.get(name, []), indent=2, ensure_ascii=False) for name in raw},
        }
        return cls(
            form=(NewRuleForm if new else RuleForm)(initial=initial, raw=raw),
            tree=draft_of(document.get("predicate")),
            cases=cases_of(document.get("tests", [])),
            reasons=[(r["code"], r["display"]) for r in document.get("override_reasons", [])],
            raw=raw,
        )

    @classmethod
    def from_post(cls, data, *, new: bool = False):
        """The page as posted; a structural edit is applied and the plain fields are shown unvalidated."""
        raw = tuple(name for name in cls.STRUCTURED if name in data)
        structure = data.get("structure", "")
        form_class = NewRuleForm if new else RuleForm
        form = form_class(initial=data.dict(), raw=raw) if structure else form_class(data, raw=raw)
        editor = cls(
            form=form,
            tree=read_tree(data),
            cases=cases_from_post(data),
            reasons=reason_rows_from_post(data),
            raw=raw,
            structure=structure,
        )
        if structure and "predicate" not in raw:
            apply_kind_changes(editor.tree)  # any button applies every kind chosen, as "Apply" would
            apply_structure(editor.tree, structure)
        return editor

    def values(self) -> dict | None:
        """The values for rule_add or rule_update, or None when something needs fixing first."""
        valid = self.form.is_valid()
        values = dict(self.form.cleaned_data)
        if "predicate" not in self.raw:
            if kinds_changed(self.tree):
                apply_kind_changes(self.tree)
                self.top.append(
                    "A condition's kind changed: its fields are shown now. Fill them in and save."
                )
                return None
            values["predicate"], problems = predicate_of(self.tree)
            self.problems += problems
        if "tests" in self.raw:
            values["tests"] = values.get("tests") or []
        else:
            values["tests"], problems, self.kept = rule_tests_of(self.cases)
            self.problems += problems
        if "override_reasons" not in self.raw:
            values["override_reasons"], problems = reasons_of(self.reasons)
            self.problems += problems
        return values if valid and not self.problems and not self.top else None

    def add_engine_errors(self, problems: list[Problem], code: str) -> None:
        for original in problems:
            problem = Problem(original.under(code), original.message)
            if problem.head in self.STRUCTURED and problem.head not in self.raw:
                self.problems.append(problem)
            else:
                field = problem.head if problem.head in self.form.fields else None
                self.form.add_error(field, str(original))

    def context(self) -> dict:
        tree, unplaced = render_tree(
            self.tree, [p for p in self.problems if p.head == "predicate"], CLASSES_DATALIST
        )
        errors: dict[str, list[str]] = {}
        others = [p for p in self.problems if p.head != "predicate"]
        _place([p for p in others if p.head == "tests"], "tests", "t", self.kept, errors)
        kept_reasons = list(range(len(self.reasons)))
        _place(
            [p for p in others if p.head == "override_reasons"],
            "override_reasons",
            "or",
            kept_reasons,
            errors,
        )
        for p in others:
            if p.head not in ("tests", "override_reasons"):
                errors.setdefault(p.path, []).append(p.message)
        return {
            "form": self.form,
            "raw": self.raw,
            "tree": tree,
            "cases": case_views(self.cases, errors),
            "tests_errors": errors.pop("t", []),
            "reasons": row_views(self.reasons, "or", errors, 2, ("code", "display")),
            "reasons_errors": errors.pop("or", []),
            "top_errors": self.top + [str(p) for p in unplaced],
            "classes_datalist": CLASSES_DATALIST,
        }


PROTOCOL_FIELDS = {  # engine path -> the form field that shows its problems
    "protocol.dose_mg_per_kg": "dose_low",
    "protocol.infusion_minutes": "minutes_shortest",
    "protocol.bp_window_days": "bp_window_days",
    "protocol.measure_window_days": "measure_window_days",
    "protocol.validity_days": "validity_days",
    "protocol.dose_sources": "dose_sources",
}


class RuleSetSettingsForm(forms.Form):
    dose_low = forms.FloatField(label="Dose, low", help_text="mg/kg")
    dose_high = forms.FloatField(label="Dose, high", help_text="mg/kg")
    minutes_shortest = forms.IntegerField(label="Infusion, shortest", help_text="minutes")
    minutes_longest = forms.IntegerField(label="Infusion, longest", help_text="minutes")
    bp_window_days = forms.IntegerField(label="Blood pressure readings count for", help_text="days")
    measure_window_days = forms.IntegerField(
        required=False, label="Baseline measures count for", help_text="days (blank: 30)"
    )
    validity_days = forms.IntegerField(
        required=False, label="A screening stays current for", help_text="days (blank: 30)"
    )
    dose_sources = forms.CharField(required=False, help_text="Source ids separated by commas, e.g. S4, A4")
    NUMBERS = (
        "dose_low",
        "dose_high",
        "minutes_shortest",
        "minutes_longest",
        "bp_window_days",
        "measure_window_days",
        "validity_days",
    )

    def __init__(self, *args, raw=(), **kwargs):
        """`raw`: protocol and/or test_baseline as JSON text (the protocol fields are then left out)."""
        super().__init__(*args, **kwargs)
        if "protocol" in raw:
            for name in [*self.NUMBERS, "dose_sources"]:
                del self.fields[name]
        for name in raw:
            self.fields[name] = JSONField(help_text=JSON_HELP[name])
        for name in self.NUMBERS:
            if (
                name in self.fields
                and self.is_bound
                and not re.match(r"^-?\d*\.?\d*$", self.data.get(name, ""))
            ):
                self.fields[
                    name
                ].widget.input_type = "text"  # show what was typed, which a number input drops

    def protocol(self, checklist: list[dict]) -> dict:
        c = self.cleaned_data
        return {
            "dose_mg_per_kg": [c["dose_low"], c["dose_high"]],
            "infusion_minutes": [c["minutes_shortest"], c["minutes_longest"]],
            "bp_window_days": c["bp_window_days"],
            **(
                {"measure_window_days": c["measure_window_days"]}
                if c["measure_window_days"] is not None
                else {}
            ),
            **({"validity_days": c["validity_days"]} if c["validity_days"] is not None else {}),
            **({"dose_sources": split_tokens(c["dose_sources"])} if c["dose_sources"].strip() else {}),
            **({"checklist": checklist} if checklist else {}),
        }


class SettingsEditor:
    """A draft's protocol (numbers as fields, the checklist as rows) and test baseline (path/value rows)."""

    STRUCTURED = ("protocol", "test_baseline")

    def __init__(self, *, form, checklist, baseline, raw, structure=""):
        self.form, self.checklist, self.baseline, self.raw = form, checklist, baseline, raw
        self.structure = structure
        self.problems: list[Problem] = []
        self.kept: list[int] = []

    @classmethod
    def for_ruleset(cls, ruleset, raw=()):
        raw = tuple(name for name in cls.STRUCTURED if name in raw)
        p = ruleset.protocol
        dose, minutes = p.get("dose_mg_per_kg", [None, None]), p.get("infusion_minutes", [None, None])
        initial = {
            "dose_low": dose[0],
            "dose_high": dose[1],
            "minutes_shortest": minutes[0],
            "minutes_longest": minutes[1],
            "bp_window_days": p.get("bp_window_days"),
            "measure_window_days": p.get("measure_window_days"),
            "validity_days": p.get("validity_days"),
            "dose_sources": ", ".join(p.get("dose_sources", [])),
            "protocol": json.dumps(p, indent=2, ensure_ascii=False),
            "test_baseline": json.dumps(ruleset.test_baseline, indent=2, ensure_ascii=False),
        }
        return cls(
            form=RuleSetSettingsForm(initial=initial, raw=raw),
            checklist=checklist_drafts(p.get("checklist", [])),
            baseline=intake_rows(ruleset.test_baseline),
            raw=raw,
        )

    @classmethod
    def from_post(cls, data):
        raw = tuple(name for name in cls.STRUCTURED if name in data)
        structure = data.get("structure", "")
        form = (
            RuleSetSettingsForm(initial=data.dict(), raw=raw)
            if structure
            else RuleSetSettingsForm(data, raw=raw)
        )
        return cls(
            form=form,
            checklist=checklist_from_post(data),
            baseline=rows_from_post(data, "b.r"),
            raw=raw,
            structure=structure,
        )

    def values(self) -> tuple[dict, dict] | None:
        """(protocol, test baseline) for ruleset_settings_update, or None when something needs fixing."""
        valid = self.form.is_valid()
        checklist, problems, self.kept = checklist_of(self.checklist)
        baseline, found = intake_from_rows([(f"b.r.{j}", p, v) for j, (p, v) in enumerate(self.baseline)])
        self.problems += (problems if "protocol" not in self.raw else []) + (
            found if "test_baseline" not in self.raw else []
        )
        if not valid or self.problems:
            return None
        c = self.form.cleaned_data
        protocol = (c["protocol"] or {}) if "protocol" in self.raw else self.form.protocol(checklist)
        return protocol, ((c["test_baseline"] or {}) if "test_baseline" in self.raw else baseline)

    def add_engine_errors(self, problems: list[Problem]) -> None:
        for problem in problems:
            if problem.head in self.raw or problem.head not in self.STRUCTURED:
                field = problem.head if problem.head in self.form.fields else None
                self.form.add_error(field, str(problem))
            elif problem.path.startswith("protocol.checklist["):
                self.problems.append(Problem(problem.path.removeprefix("protocol."), problem.message))
            elif (field := PROTOCOL_FIELDS.get(problem.path.split("[", 1)[0])) is not None:
                self.form.add_error(field, str(problem))
            else:
                self.problems.append(Problem("b" if problem.head == "test_baseline" else "", str(problem)))

    def context(self) -> dict:
        errors: dict[str, list[str]] = {}
        _place([p for p in self.problems if p.head == "checklist"], "checklist", "cl", self.kept, errors)
        for p in self.problems:
            if p.head != "checklist":
                errors.setdefault(p.path, []).append(p.message)
        checklist = [*self.checklist, ChecklistDraft()]
        return {
            "form": self.form,
            "raw": self.raw,
            "checklist": [
                {
                    "number": i + 1,
                    "new": i == len(self.checklist),
                    "text": field_view(f"cl.{i}.text", item.text, errors),
                    "sources": field_view(f"cl.{i}.sources", item.sources, errors),
                    "remove": field_view(f"cl.{i}.remove", item.remove, errors),
                    "errors": errors.get(f"cl.{i}", []),
                }
                for i, item in enumerate(checklist)
            ],
            "checklist_errors": errors.pop("cl", []),
            "baseline": row_views(self.baseline, "b.r", errors, 3),
            "baseline_errors": errors.pop("b", []),
            "top_errors": errors.pop("", []),
        }
