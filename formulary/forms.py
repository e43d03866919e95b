"""The formulary entry form: lists are typed comma-separated; the whole entry is checked as the import
checks it, and a name another entry already answers to is refused (a name leads to one product only)."""

from django import forms

from .models import FormularyEntry

LIST_FIELDS = ("brands", "aliases", "atc", "classes", "components")


class CommaList(forms.CharField):
    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        value = super().to_python(value)
        return [part.strip() for part in (value or "").split(",") if part.strip()]


class FormularyEntryForm(forms.ModelForm):
    brands = CommaList(required=False, help_text="Brand names, separated by commas (Tylenol #3, Tylenol 3).")
    aliases = CommaList(required=False, help_text="Other generic names (paracetamol).")
    atc = CommaList(
        label="ATC codes", help_text="The product's code first; for a combination, each component's too."
    )
    classes = CommaList(
        required=False, help_text="Classes the rules match (benzodiazepine, opioid, z_drug...)."
    )
    components = CommaList(required=False, help_text="A combination's generics (acetaminophen, codeine).")

    class Meta:
        model = FormularyEntry
        fields = [
            "generic",
            "brands",
            "aliases",
            "atc",
            "classes",
            "diazepam_10mg_equivalent_mg",
            "components",
            "dose_component",
            "max_daily_mg",
            "max_daily_source",
        ]
        labels = {
            "diazepam_10mg_equivalent_mg": "mg equivalent to 10 mg diazepam (A7)",
            "max_daily_mg": "Maximum daily dose, mg (A15)",
            "max_daily_source": "Source of the maximum",
        }
