"""The form of one measure administration (issue 18): PHQ-9, GAD-7 or the C-SSRS screener."""

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.layout import Div, Field
from django import forms
from django.utils import timezone

from screening.engine.measures import CSSRS_ALWAYS_ASKED, CSSRS_FOLLOW_UPS, CSSRS_QUESTIONS, MeasureInvalid
from screening.engine.measures import INSTRUMENTS as MEASURE_INSTRUMENTS
from screening.engine.measures import ITEMS as MEASURE_ITEMS
from screening.engine.measures import validate_answers as validate_measure_answers

from .forms import AnswerRadios, DateInput, _no_form_tag_helper

# The 0-3 answer scale of the PHQ-9 and GAD-7 items (how often, over the last two weeks).
ITEM_SCALE = [
    ("0", "0 · not at all"),
    ("1", "1 · several days"),
    ("2", "2 · over half the days"),
    ("3", "3 · nearly every day"),
]
YES_NO = [("yes", "Yes"), ("no", "No")]


class MeasureForm(forms.Form):
    """One administration of a measure: its date and its answers, as radio groups (Tab enters a group,
    arrows choose). The answers are checked by the pure scorer, whose problems land on their fields; the
    score is computed, never typed. C-SSRS follow-ups answered "No" under a "No" are dropped (they were not
    asked); a "Yes" there contradicts its gate and is refused."""

    administered_on = forms.DateField(label="Date given", widget=DateInput())

    def __init__(self, instrument: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument = instrument
        self.measure = MEASURE_INSTRUMENTS[instrument]
        if not self.is_bound:
            self.initial.setdefault("administered_on", timezone.localdate())
        labels = MEASURE_ITEMS[instrument]
        if self.measure.summed:
            self.names = [f"item_{i}" for i in range(len(labels))]
            for i, (name, label) in enumerate(zip(self.names, labels, strict=True)):
                self.fields[name] = forms.ChoiceField(
                    label=f"{i + 1}. {label}", choices=ITEM_SCALE, widget=AnswerRadios
                )
        else:
            self.names = list(CSSRS_QUESTIONS)
            for name, label in zip(self.names, labels, strict=True):
                self.fields[name] = forms.ChoiceField(
                    label=label, choices=YES_NO, widget=AnswerRadios, required=name in CSSRS_ALWAYS_ASKED
                )
                gate = next((g for g, asked in CSSRS_FOLLOW_UPS.items() if name in asked), None)
                if gate is not None:  # which question it follows: "the one above" is not always the gate
                    number = CSSRS_QUESTIONS.index(gate) + 1
                    self.fields[name].help_text = f"Only when question {number} is Yes."
        first = self.fields[self.names[0]].widget
        self.helper = _no_form_tag_helper(
            Div(Div(Field("administered_on"), css_class="col-sm-4"), css_class="row"),
            *[InlineRadios(name) for name in self.names],
        )
        first.take_focus = True

    def answers(self):
        data = self.cleaned_data
        if self.measure.summed:
            return [int(data[name]) for name in self.names]
        answers = {name: {"yes": True, "no": False}.get(data.get(name) or "") for name in self.names}
        for gate, follow_ups in CSSRS_FOLLOW_UPS.items():
            if answers[gate] is False:
                for name in follow_ups:
                    if answers[name] is False:
                        answers[name] = None  # not asked
        return answers

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            validate_measure_answers(self.instrument, self.answers())
        except MeasureInvalid as exc:
            self.add_measure_errors(exc)
        return cleaned

    def add_measure_errors(self, exc: MeasureInvalid) -> None:
        for path, message in exc.errors:
            if path.startswith("[") and path.endswith("]"):
                self.add_error(self.names[int(path[1:-1])], message)
            elif path in self.fields:
                self.add_error(path, message)
            else:
                self.add_error(None, message)
