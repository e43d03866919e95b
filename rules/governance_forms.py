"""Forms of rule-set governance: submit, review (approve or return), clone, delete. Django's CharField
refuses NUL characters and over-long text, so neither reaches the database as a 500."""

from django import forms

from .models import RuleSet

NOTE_MAX = 2000


class SubmitForm(forms.Form):
    note = forms.CharField(
        label="Change note",
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What changes and why; the reviewer reads it, and it stays with the published set.",
    )


class ReviewForm(forms.Form):
    DECISIONS = [
        ("approve", "Approve: publish it and make it the active rule set"),
        ("return", "Return it to the author"),
    ]
    decision = forms.ChoiceField(choices=DECISIONS, widget=forms.RadioSelect)
    comment = forms.CharField(
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required when you return it: what the author should change.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "return" and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", "Say what the author should change.")
        return cleaned


class CloneForm(forms.Form):
    version = forms.CharField(
        label="New version label",
        max_length=RuleSet._meta.get_field("version").max_length,
        help_text="e.g. 2026.3-draft (1-40 characters, unique)",
    )

    def clean_version(self):
        version = self.cleaned_data["version"].strip()
        if not version:
            raise forms.ValidationError("Give the new draft a version label.")
        if RuleSet.objects.filter(version=version).exists():
            raise forms.ValidationError(f"A rule set {version} exists already: choose another label.")
        return version
