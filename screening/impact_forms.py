"""The scope of an impact preview: how many of the most recent screenings, and optionally the dates they were
assessed between. One form validates it for the page and for the API (api.views.rules feeds it the JSON
body), so both refuse the same input with the same words."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from .impact import LIMIT_DEFAULT, LIMIT_MAX, LIMIT_MIN
from .intake import EARLIEST, LATEST

FROM_AFTER_TO = "The start date is after the end date."


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class ImpactScopeForm(forms.Form):
    limit = forms.IntegerField(
        label="Most recent screenings",
        required=False,
        min_value=LIMIT_MIN,
        max_value=LIMIT_MAX,
        initial=LIMIT_DEFAULT,
        help_text=f"{LIMIT_MIN} to {LIMIT_MAX}; {LIMIT_DEFAULT} when left blank.",
    )
    date_from = forms.DateField(
        label="Assessed from", required=False, widget=DateInput(), help_text="Optional, inclusive."
    )
    date_to = forms.DateField(
        label="Assessed to", required=False, widget=DateInput(), help_text="Optional, inclusive."
    )

    def _within_bounds(self, name: str):
        value = self.cleaned_data.get(name)
        if value is not None and not EARLIEST <= value <= LATEST:
            raise forms.ValidationError(
                f"{value.isoformat()} is outside {EARLIEST.isoformat()} to {LATEST.isoformat()}."
            )
        return value

    def clean_date_from(self):
        return self._within_bounds("date_from")

    def clean_date_to(self):
        return self._within_bounds("date_to")

    def clean_limit(self):
        limit = self.cleaned_data.get("limit")
        return LIMIT_DEFAULT if limit is None else limit

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from is not None and date_to is not None and date_from > date_to:
            self.add_error("date_to", FROM_AFTER_TO)
        return cleaned

    def scope(self) -> dict[str, Any]:
        """The keyword arguments of screening.impact.impact_preview_start (after is_valid())."""
        return {name: self.cleaned_data[name] for name in ("limit", "date_from", "date_to")}

    def problems(self) -> list[dict[str, str]]:
        """The errors as {"path", "message"}, the API's shape."""
        return [
            {"path": name if name != NON_FIELD_ERRORS else "document", "message": message}
            for name, messages in self.errors.items()
            for message in messages
        ]
