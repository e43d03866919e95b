from datetime import datetime, timedelta

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout
from django import forms
from django.utils import timezone

from screening.engine.vocabulary import NUMBERS, PATIENT_FIELDS
from screening.intake import normalize_icd10

from .icd10 import icd10_description, icd10_known
from .models import ANSWER_SECTIONS, BloodPressureReading, Diagnosis, MedicationEntry, Patient
from .selectors import medication_fingerprint
from .validators import record_date_validator

MAX_DOSE_MG = NUMBERS["dose_mg"].high  # the field table's limit, as in ketamine-intake/1

# How far in the future a reading's time may be (clock skew between devices) before it is refused.
CLOCK_SKEW = timedelta(minutes=5)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def _no_form_tag_helper(*rows) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    if rows:
        helper.layout = Layout(*rows)
    return helper


def plausible_range(field: str):
    """The field table's bound of a number (engine/vocabulary.NUMBERS) as a form check with its unit."""
    bound = NUMBERS[field]
    low, high, unit = bound.low, bound.high, bound.unit

    def check(value):
        if value is None:
            return value
        if value < low:
            raise forms.ValidationError(f"{value:g} {unit} is below the plausible minimum of {low} {unit}.")
        if value > high:
            raise forms.ValidationError(f"{value:g} {unit} is above the plausible maximum of {high} {unit}.")
        return value

    return check


class PatientForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Patient
        fields = list(PATIENT_FIELDS)
        widgets = {"date_of_birth": DateInput()}
        help_texts = {
            "weight_kg": "Actual body weight; leave empty if not measured yet.",
            "mrn": "Clinic record number: letters, digits and '-'.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("weight_kg", "height_cm"):
            self.fields[name].validators = []  # our messages below say what is plausible
            self.fields[name].widget.attrs["step"] = "0.1"
        self.helper = _no_form_tag_helper(
            Div(
                Div(Field("mrn", autofocus=True), css_class="col-md-4"),
                Div("given_name", css_class="col-md-4"),
                Div("family_name", css_class="col-md-4"),
                css_class="row",
            ),
            Div(
                Div("date_of_birth", css_class="col-md-4"),
                Div("sex_at_birth", css_class="col-md-4"),
                Div("pregnancy", css_class="col-md-4"),
                css_class="row",
            ),
            Div(
                Div("weight_kg", css_class="col-md-4"),
                Div("height_cm", css_class="col-md-4"),
                css_class="row",
            ),
            "version",
        )

    def clean_mrn(self):
        mrn = self.cleaned_data["mrn"].strip()
        if Patient.objects.filter(mrn__iexact=mrn).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(f"A patient with MRN {mrn} already exists.")
        return mrn

    def clean_date_of_birth(self):
        dob = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if dob > today:
            raise forms.ValidationError("Date of birth cannot be in the future.")
        if today.year - dob.year > 120:
            raise forms.ValidationError("Date of birth gives an age above 120: check the year.")
        record_date_validator(dob)  # the record's range (1900-2100), whatever today is
        return dob

    def clean_weight_kg(self):
        return plausible_range("weight_kg")(self.cleaned_data.get("weight_kg"))

    def clean_height_cm(self):
        return plausible_range("height_cm")(self.cleaned_data.get("height_cm"))


# Sections with a "none of these" action, and the value that means "no" for each answer in them.
NONE_OF_THESE = {
    "psychiatric": {"suicidal_ideation": "none", "substance_use_disorder": "none"},
    "cardiovascular": {},
    "other_medical": {"hepatic_impairment": "none"},
}


def none_of_these_values(section: str) -> dict[str, str]:
    overrides = NONE_OF_THESE[section]
    return {name: overrides.get(name, "no") for name in ANSWER_SECTIONS[section]}


class AnswerRadios(forms.RadioSelect):
    """A yes / no / unknown answer as a radio group (Tab enters it, arrows move, Space sets). `take_focus`: as
    the page loads, the focus goes to the group's checked option, or its first, where Tab would put it."""

    take_focus = False

    def optgroups(self, name, value, attrs=None):
        groups = super().optgroups(name, value, attrs)
        options = [option for _, group, _ in groups for option in group]
        if self.take_focus and options:
            target = next((option for option in options if option["selected"]), options[0])
            target["attrs"] = {**target["attrs"], "autofocus": True}
        return groups


def section_form_class(section: str) -> type[forms.ModelForm]:
    fields = list(ANSWER_SECTIONS[section])
    radios = [name for name in fields if name != "failed_antidepressant_trials"]

    meta = type(
        "Meta", (), {"model": Patient, "fields": fields, "widgets": dict.fromkeys(radios, AnswerRadios)}
    )

    def __init__(self, *args, **kwargs):
        forms.ModelForm.__init__(self, *args, **kwargs)
        for name in radios:
            self.fields[name].choices = [c for c in self.fields[name].choices if c[0] != ""]
        first = self.fields[fields[0]].widget  # a section page opens on its first answer
        if isinstance(first, AnswerRadios):
            first.take_focus = True
        else:
            first.attrs["autofocus"] = True
        self.helper = _no_form_tag_helper(
            *[InlineRadios(name) if name in radios else name for name in fields], "version"
        )

    return type(
        f"{section.title().replace('_', '')}Form",
        (forms.ModelForm,),
        {"Meta": meta, "__init__": __init__, "version": forms.IntegerField(widget=forms.HiddenInput)},
    )


class DiagnosisForm(forms.ModelForm):
    seen = forms.CharField(widget=forms.HiddenInput, required=False)  # fingerprint of the row when opened

    class Meta:
        model = Diagnosis
        fields = ["icd10", "status", "severity", "note"]
        help_texts = {"icd10": "ICD-10-CM code, e.g. F33.2"}

    def __init__(self, *args, patient=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.helper = _no_form_tag_helper(
            Div(
                Div("icd10", css_class="col-md-3"),
                Div("status", css_class="col-md-3"),
                Div("severity", css_class="col-md-3"),
                Div("note", css_class="col-md-3"),
                css_class="row",
            ),
            "seen",
        )

    def clean_icd10(self):
        raw = self.cleaned_data["icd10"]
        code = normalize_icd10(raw)
        if code is None:
            raise forms.ValidationError(
                f"'{raw}' is not an ICD-10-CM code (a letter, two digits, then optional "
                "characters, e.g. F33.2)."
            )
        if not icd10_known(code):
            raise forms.ValidationError(f"'{code}' is not in the ICD-10-CM code list.")
        duplicates = Diagnosis.objects.filter(patient=self.patient, icd10=code).exclude(pk=self.instance.pk)
        if self.patient is not None and duplicates.exists():
            raise forms.ValidationError(f"{code} is already recorded for this patient.")
        return code

    def save(self, commit=True):
        self.instance.description = icd10_description(self.cleaned_data["icd10"])
        if self.patient is not None:
            self.instance.patient = self.patient
        return super().save(commit)


class MedicationForm(forms.ModelForm):
    # ticked after the form warned that the daily dose is above the formulary's maximum (A15): the dose is
    # then kept as entered (MEDS-DOSE-IMPLAUSIBLE asks the physician to confirm it)
    confirm_dose = forms.BooleanField(required=False, label="Keep this dose: it is what the patient takes")

    class Meta:
        model = MedicationEntry
        fields = ["name", "dose_mg", "times_per_day", "as_needed", "max_doses_per_day"]
        labels = {"name": "Medication", "max_doses_per_day": "Max doses/day (as needed)"}

    def daily_mg(self):
        """The daily dose the entered values give (None when dose or frequency is missing)."""
        data = self.cleaned_data
        count = (
            (data.get("max_doses_per_day") or data.get("times_per_day"))
            if data.get("as_needed")
            else (data.get("times_per_day"))
        )
        return None if data.get("dose_mg") is None or not count else data["dose_mg"] * count

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "name" in self.fields:  # MedicationEditForm has none
            self.fields["name"].widget.attrs.update(
                {"autocomplete": "off", "list": "formulary-options", "placeholder": "generic or brand name"}
            )
        self.fields["dose_mg"].widget.attrs["step"] = "any"
        self.helper = _no_form_tag_helper()

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Enter the medication name.")
        return name

    def clean_dose_mg(self):
        dose = self.cleaned_data.get("dose_mg")
        if dose is not None and dose <= 0:
            raise forms.ValidationError("The dose must be greater than 0 mg (leave empty if unknown).")
        if dose is not None and dose > MAX_DOSE_MG:
            raise forms.ValidationError(f"{dose:g} mg is above the plausible maximum of {MAX_DOSE_MG} mg.")
        return dose

    def clean(self):
        data = super().clean()
        if data.get("as_needed") and data.get("times_per_day") and not data.get("max_doses_per_day"):
            self.add_error("max_doses_per_day", "For as-needed use, record the most doses taken in a day.")
        return data


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class MedicationEditForm(MedicationForm):
    """A listed medication's dose and frequency, changed in place (issue 17), under MedicationForm's rules.
    The name is not editable: another drug is a removal and an addition.

    Its inputs belong to the <form id="medication-edit"> (their `form` attribute): on the patient page they
    sit in a table row, inside the table's own form for the Remove buttons, where no form may nest. Their
    ids are their own (`id_edit_…`), apart from the add form's on the same page."""

    FORM_ID = "medication-edit"
    seen = forms.CharField(widget=forms.HiddenInput, required=False)  # fingerprint of the row when opened

    class Meta(MedicationForm.Meta):
        fields = ["dose_mg", "times_per_day", "as_needed", "max_doses_per_day"]

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_edit_%s")
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("seen", medication_fingerprint(self.instance))
            if self.instance.dose_mg is not None:  # 20, not 20.000 as stored
                self.initial["dose_mg"] = format(self.instance.dose_mg.normalize(), "f")
            # the row opens on its first input; a re-shown form leaves the focus to its errors or warning
            self.fields["dose_mg"].widget.attrs["autofocus"] = True
        for field in self.fields.values():
            field.widget.attrs["form"] = self.FORM_ID
        self.helper = _no_form_tag_helper(
            Div(
                Div("dose_mg", css_class="col-sm-6 col-lg-3"),
                Div("times_per_day", css_class="col-sm-6 col-lg-3"),
                Div("max_doses_per_day", css_class="col-sm-6 col-lg-3"),
                Div("as_needed", css_class="col-sm-6 col-lg-3 pt-lg-4"),
                css_class="row g-2 align-items-start",
            ),
            "seen",
        )


class BloodPressureForm(forms.ModelForm):
    """A reading: systolic, diastolic and heart rate, then the day and the time, both already now, so a
    reading taken at the bedside is three numbers and Enter. The numbers come first: in Chromium a date
    field is four Tab stops (month, day, year, its calendar button) and a time field four more, and the
    old single date-time field in front of the numbers took a systolic typed after one Tab as its year."""

    taken_on = forms.DateField(label="Date taken", widget=DateInput())
    taken_time = forms.TimeField(label="Time taken", widget=TimeInput())

    class Meta:
        model = BloodPressureReading
        fields = ["systolic", "diastolic", "heart_rate"]
        labels = {
            "systolic": "Systolic (mmHg)",
            "diastolic": "Diastolic (mmHg)",
            "heart_rate": "Heart rate (bpm)",
        }

    field_order = ["systolic", "diastolic", "heart_rate", "taken_on", "taken_time"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound and not self.instance.pk:
            now = timezone.localtime().replace(second=0, microsecond=0)
            self.initial.setdefault("taken_on", now.date())
            self.initial.setdefault("taken_time", now.time())
        for name in ("systolic", "diastolic", "heart_rate"):
            self.fields[name].validators = []
        self.helper = _no_form_tag_helper(
            Div(
                Div("systolic", css_class="col-4 col-md-2"),
                Div("diastolic", css_class="col-4 col-md-2"),
                Div("heart_rate", css_class="col-4 col-md-2"),
                Div("taken_on", css_class="col-6 col-md-3"),
                Div("taken_time", css_class="col-6 col-md-2"),
                css_class="row",
            )
        )

    def _clean_taken_at(self, cleaned):
        day, at = cleaned.get("taken_on"), cleaned.get("taken_time")
        if day is None or at is None:
            return cleaned
        taken_at = timezone.make_aware(datetime.combine(day, at))
        try:
            record_date_validator(taken_at)
        except forms.ValidationError as exc:
            self.add_error("taken_on", exc)
            return cleaned
        if taken_at > timezone.now() + CLOCK_SKEW:
            self.add_error(
                "taken_time" if day == timezone.localdate() else "taken_on",
                "A reading cannot be in the future.",
            )
            return cleaned
        self.instance.taken_at = taken_at
        cleaned["taken_at"] = taken_at
        return cleaned

    def clean_systolic(self):
        return plausible_range("systolic")(self.cleaned_data.get("systolic"))

    def clean_diastolic(self):
        return plausible_range("diastolic")(self.cleaned_data.get("diastolic"))

    def clean_heart_rate(self):
        return plausible_range("heart_rate")(self.cleaned_data.get("heart_rate"))

    def clean(self):
        data = self._clean_taken_at(super().clean())
        systolic, diastolic = data.get("systolic"), data.get("diastolic")
        if systolic is not None and diastolic is not None and diastolic >= systolic:
            self.add_error("diastolic", f"Diastolic {diastolic} must be below systolic {systolic}.")
        return data
