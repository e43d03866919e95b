"""Searching the audit trail: the filters the auditor's page, its CSV and the API share."""

from __future__ import annotations

from datetime import datetime, time

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from .audit import ACTIONS
from .models import AuditEvent

CSV_COLUMNS = (
    "seq",
    "at",
    "user_id",
    "user_name",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "ip",
    "user_agent",
    "fields",
    "detail",
)


class AuditFilterForm(forms.Form):
    user = forms.CharField(required=False, max_length=150, label="User", help_text="name or user id")
    patient_id = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1, label="Patient id")
    action = forms.ChoiceField(required=False, choices=[("", "any")] + [(a, a) for a in ACTIONS])
    date_from = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned


def audit_events(
    *,
    user: str = "",
    patient_id: int | None = None,
    action: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all().order_by("-seq")
    user = (user or "").strip()
    if user.isdigit():
        events = events.filter(user_id=int(user))
    elif user:
        events = events.filter(user_name__icontains=user)
    if patient_id is not None:
        events = events.filter(patient_id=patient_id)
    if action:
        events = events.filter(action=action)
    if since is not None:
        events = events.filter(at__gte=since)
    if until is not None:
        events = events.filter(at__lt=until)
    return events


def day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered(form: AuditFilterForm) -> QuerySet[AuditEvent]:
    data = form.cleaned_data
    end = data.get("date_to")
    return audit_events(
        user=data.get("user") or "",
        patient_id=data.get("patient_id"),
        action=data.get("action") or "",
        since=day_start(data["date_from"]) if data.get("date_from") else None,
        until=day_start(end) + timezone.timedelta(days=1) if end else None,
    )


def csv_row(event: AuditEvent) -> list[str]:
    values = {
        **{name: getattr(event, name) for name in CSV_COLUMNS},
        "at": event.at.isoformat(),
        "fields": " ".join(event.fields),
    }
    # a cell that starts with = + - @ would be read as a formula by a spreadsheet
    return [_safe("" if values[name] is None else str(values[name])) for name in CSV_COLUMNS]


def _safe(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
