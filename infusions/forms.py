"""The forms of the day-of-infusion pages (issue 18): one per step. They carry the values as typed and hand
them to the services, which hold every bound and rule (infusions/services.py); a refusal comes back as
(field, message) pairs and lands on its field (`add_refusal`). A form checks only what the browser sends
in a shape the service cannot take: a time that is not a time, an answer that is not offered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.layout import Div, Fieldset
from django import forms
from django.utils import timezone
from django.utils.html import escape

from patients.forms import AnswerRadios, DateInput, TimeInput, _no_form_tag_helper

from .decision import NO, YES
from .models import Infusion

YES_NO = [(YES, "Yes"), (NO, "No")]
# The Richmond Agitation-Sedation Scale, as the clinic reads it: +4 at the top, -5 at the bottom.
RASS_LABELS = {
    4: "Combative",
    3: "Very agitated",
    2: "Agitated",
    1: "Restless",
    0: "Alert and calm",
    -1: "Drowsy",
    -2: "Light sedation",
    -3: "Moderate sedation",
    -4: "Deep sedation",
    -5: "Unarousable",
}


def rass_text(value: int) -> str:
    sign = "+" if value > 0 else "−" if value < 0 else ""
    return f"{sign}{abs(value)} · {RASS_LABELS[value]}"


RASS_CHOICES = [("", "Not assessed"), *((str(v), rass_text(v)) for v in sorted(RASS_LABELS, reverse=True))]
READING_PARTS = (
    ("systolic", "Systolic (mmHg)"),
    ("diastolic", "Diastolic (mmHg)"),
    ("heart_rate", "Heart rate (bpm)"),
)


def _number(label: str, step: str = "1", help_text: str = "") -> forms.CharField:
    """A number as typed: the service says what is out of range, in the clinic's words."""
    mode = "decimal" if step != "1" else "numeric"
    widget = forms.NumberInput(attrs={"step": step, "inputmode": mode})
    return forms.CharField(label=label, required=False, widget=widget, help_text=help_text)


def _reading_fields(prefix: str) -> dict[str, forms.CharField]:
    return {f"{prefix}_{part}": _number(label) for part, label in READING_PARTS}


def _reading_row(prefix: str, legend: str) -> Fieldset:
    return Fieldset(
        legend,
        Div(
            *(Div(f"{prefix}_{part}", css_class="col-4 col-md-3") for part, _ in READING_PARTS),
            css_class="row",
        ),
    )


def plain(value: Any) -> str:
    """A stored value as the form shows it: 74, not 74.0; empty for nothing."""
    if value is None:
        return ""
    if hasattr(value, "normalize"):
        return format(value.normalize(), "f")
    return str(value)


def reading_initial(infusion: Infusion, prefix: str) -> dict[str, str]:
    return {f"{prefix}_{part}": plain(getattr(infusion, f"{prefix}_{part}")) for part, _ in READING_PARTS}


def add_refusal(form: forms.Form, errors: list[tuple[str, str]]) -> None:
    """A service's refusal, each message on its field (the form's own message where it has no such field)."""
    for field, message in errors:
        form.add_error(field if field in form.fields else None, message)


def item_help(item) -> str:
    """Where a checklist item comes from: its sources, and why this screening asks it when it is not always
    asked."""
    said = f"Sources: {', '.join(item.sources)}." if item.sources else ""
    if item.findings:
        said += f" Asked for {', '.join(item.findings)}."
    elif item.predicate is not None:
        said += " Asked where the screening's intake indicates it."
    return escape(said.strip())  # crispy shows help text as it is: the rule set's words are escaped here


class StartForm(forms.Form):
    infusion_on = forms.DateField(label="Infusion day", widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("infusion_on", timezone.localdate())
        self.fields["infusion_on"].widget.attrs["autofocus"] = True
        self.helper = _no_form_tag_helper(
            Div(Div("infusion_on", css_class="col-sm-6 col-md-4"), css_class="row")
        )


class CheckForm(forms.Form):
    """Before dosing: today's weight, one or two readings, and the checklist items the screening asks for
    (yes or no, as radio groups: Tab enters a group, the arrows choose)."""

    weight_kg = _number("Weight today (kg)", step="0.1")

    def __init__(self, items, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_reading_fields("pre"))
        self.fields.update(_reading_fields("pre2"))
        self.checklist = []
        for item in items:
            name = f"checklist_{item.key}"
            self.fields[name] = forms.ChoiceField(
                label=item.text,
                choices=YES_NO,
                widget=AnswerRadios,
                required=False,
                help_text=item_help(item),
            )
            self.checklist.append(name)
        self.helper = _no_form_tag_helper(
            Div(Div("weight_kg", css_class="col-6 col-md-3"), css_class="row"),
            _reading_row("pre", "Blood pressure before dosing"),
            _reading_row("pre2", "Second reading (optional: the mean of the two decides)"),
            Fieldset("Confirmed today", *(InlineRadios(name) for name in self.checklist))
            if self.checklist
            else Div(),
        )

    @staticmethod
    def initial_for(infusion: Infusion) -> dict[str, str]:
        return {
            "weight_kg": plain(infusion.weight_kg),
            **reading_initial(infusion, "pre"),
            **reading_initial(infusion, "pre2"),
            **{f"checklist_{key}": answer for key, answer in (infusion.checklist or {}).items()},
        }


class AuthorizeForm(forms.Form):
    dose_mg = _number("Dose to give (mg)", step="0.1")
    reason = forms.CharField(
        label="Reason for the go", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, dose_text: str = "", needs_reason: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if dose_text:
            self.fields["dose_mg"].help_text = f"Today's range: {dose_text}."
        if needs_reason:
            self.fields["reason"].label = "Reason for the go (required)"
            self.fields[
                "reason"
            ].help_text = (
                "Required: the decision holds this infusion until a physician gives the go with a reason."
            )
        else:
            self.fields["reason"].label = "Note (optional)"
        self.helper = _no_form_tag_helper(
            Div(Div("dose_mg", css_class="col-sm-6 col-md-4"), css_class="row"), "reason"
        )


def _on_day(day, at) -> datetime | str:
    """A time of the infusion day as the service takes it (a time the form did not get: empty)."""
    return datetime.combine(day, at) if at is not None else ""  # noqa: DTZ001 - the service makes it aware


def _time_initial(value: datetime | None):
    return timezone.localtime(value).strftime("%H:%M") if value else ""


class MonitorForm(forms.Form):
    """During the infusion: the dose given, when it started, the reading at about 40 minutes, sedation
    (RASS), dissociation and adverse events."""

    dose_given_mg = _number("Dose given (mg)", step="0.1")
    started_at = forms.TimeField(label="Started at", required=False, widget=TimeInput())
    rass = forms.ChoiceField(label="Sedation (RASS)", choices=RASS_CHOICES, required=False)
    dissociation_scale = forms.ChoiceField(
        label="Dissociation scale", choices=Infusion.Scale.choices, required=False, widget=forms.RadioSelect
    )
    dissociation = _number("Dissociation score")
    adverse_events = forms.CharField(
        label="Adverse events",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="None: leave empty.",
    )

    def __init__(self, day, *args, authorized_mg=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.day = day
        self.fields.update(_reading_fields("at40"))
        self.order_fields(["dose_given_mg", "started_at", *(f"at40_{part}" for part, _ in READING_PARTS)])
        self.initial.setdefault("dissociation_scale", Infusion.Scale.RATING)
        if authorized_mg is not None:
            self.fields["dose_given_mg"].help_text = f"Authorized: {plain(authorized_mg)} mg; at most that."
        self.helper = _no_form_tag_helper(
            Div(
                Div("dose_given_mg", css_class="col-6 col-md-3"),
                Div("started_at", css_class="col-6 col-md-3"),
                css_class="row",
            ),
            _reading_row("at40", "Blood pressure at about 40 minutes"),
            Div(
                Div("rass", css_class="col-md-4"),
                Div(InlineRadios("dissociation_scale"), css_class="col-md-5"),
                Div("dissociation", css_class="col-md-3"),
                css_class="row",
            ),
            "adverse_events",
        )

    @staticmethod
    def initial_for(infusion: Infusion) -> dict[str, str]:
        return {
            "dose_given_mg": plain(infusion.dose_given_mg),
            "started_at": _time_initial(infusion.started_at),
            **reading_initial(infusion, "at40"),
            "rass": plain(infusion.rass),
            "dissociation_scale": infusion.dissociation_scale or Infusion.Scale.RATING,
            "dissociation": plain(infusion.dissociation),
            "adverse_events": infusion.adverse_events,
        }

    def values(self) -> dict[str, Any]:
        return {**self.cleaned_data, "started_at": _on_day(self.day, self.cleaned_data.get("started_at"))}


class DischargeForm(forms.Form):
    discharged_at = forms.TimeField(label="Discharged at", required=False, widget=TimeInput())
    escort_name = forms.CharField(
        label="Escort's name", required=False, help_text="The adult who takes the patient home."
    )

    def __init__(self, day, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.day = day
        self.fields.update(_reading_fields("discharge"))
        self.order_fields(["discharge_systolic", "discharge_diastolic", "discharge_heart_rate"])
        self.helper = _no_form_tag_helper(
            _reading_row("discharge", "Blood pressure at discharge"),
            Div(
                Div("discharged_at", css_class="col-6 col-md-3"),
                Div("escort_name", css_class="col-md-6"),
                css_class="row",
            ),
        )

    @staticmethod
    def initial_for(infusion: Infusion) -> dict[str, str]:
        return {
            **reading_initial(infusion, "discharge"),
            "discharged_at": _time_initial(infusion.discharged_at),
            "escort_name": infusion.escort_name,
        }

    def values(self) -> dict[str, Any]:
        return {
            **self.cleaned_data,
            "discharged_at": _on_day(self.day, self.cleaned_data.get("discharged_at")),
        }


class SignForm(forms.Form):
    hold_reason = forms.CharField(
        label="Why the infusion was not given",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, reasons_recorded: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if reasons_recorded:
            self.fields["hold_reason"].help_text = "Left empty, the decision's reasons above are recorded."
        else:
            self.fields["hold_reason"].label = "Why the infusion was not given (required)"
        self.helper = _no_form_tag_helper("hold_reason")
