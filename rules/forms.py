"""Forms of the rules admin pages. Engine problems are placed on the field their path names."""

import json

from django import forms

from screening.engine import SEVERITIES
from screening.engine.problems import Problem


class JSONField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 8, "class": "font-monospace", "spellcheck": "false"})

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return json.loads(value) if value.strip() else None
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"Not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
            ) from exc


class RuleForm(forms.Form):
    severity = forms.ChoiceField(choices=[(s, s) for s in SEVERITIES])
    title = forms.CharField(max_length=200)
    action = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    sources = forms.CharField(help_text="Source ids separated by commas, e.g. S5, A1")
    enabled = forms.BooleanField(required=False)
    predicate = JSONField(help_text='{"kind": "...", "params": {...}}: see the predicate kinds below.')
    tests = JSONField(required=False, help_text='[{"name": "...", "intake": {...}, "fires": true}, ...]')
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
    override_reasons = JSONField(
        required=False,
        help_text='Optional coded reasons offered with the free text: [{"code": "...", "display": "..."}]',
    )

    FIELDS = (
        "severity",
        "title",
        "action",
        "sources",
        "enabled",
        "predicate",
        "tests",
        "override",
        "override_reasons",
    )

    def clean_sources(self):
        return [s.strip() for s in self.cleaned_data["sources"].split(",") if s.strip()]

    def add_engine_errors(self, problems, code):
        """Put each engine problem on the field its path names (the rest on the form)."""
        for problem in problems:
            field = Problem(problem.under(code), problem.message).head
            self.add_error(field if field in self.FIELDS else None, str(problem))


class RuleSetSettingsForm(forms.Form):
    protocol = JSONField(
        help_text="dose_mg_per_kg [low, high], infusion_minutes [shortest, longest], validity_days, "
        "bp_window_days, dose_sources, checklist"
    )
    test_baseline = JSONField(
        help_text="The ketamine-intake/1 document each rule's test cases are merged onto."
    )

    def add_engine_errors(self, problems):
        for problem in problems:
            self.add_error(problem.head if problem.head in self.fields else None, str(problem))


class NewRuleForm(RuleForm):
    code = forms.CharField(max_length=40, help_text="Upper-case words joined by '-', e.g. MEDS-NEW-CLASS")
    FIELDS = ("code", *RuleForm.FIELDS)
    field_order = ["code"]
