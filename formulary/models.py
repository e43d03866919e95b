from django.db import models


class FormularyEntry(models.Model):
    """One medication the screening can classify (generic, brands, ATC codes, classes, A7 factor)."""

    generic = models.CharField(max_length=120, unique=True)
    brands = models.JSONField(default=list, blank=True)
    aliases = models.JSONField(
        default=list, blank=True, help_text="Other generic names (paracetamol, salbutamol)."
    )
    atc = models.JSONField(default=list)
    classes = models.JSONField(default=list, blank=True)
    diazepam_10mg_equivalent_mg = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Benzodiazepines only: mg equivalent to 10 mg diazepam (A7).",
    )

    class Meta:
        db_table = "screening_formularyentry"  # moved from the screening app; the table kept its name
        ordering = ["generic"]
        verbose_name_plural = "formulary entries"

    def __str__(self) -> str:
        return self.generic

    def as_entry(self) -> dict:
        return {
            "generic": self.generic,
            "brands": self.brands,
            "aliases": self.aliases,
            "atc": self.atc,
            "classes": self.classes,
            "diazepam_10mg_equivalent_mg": (
                float(self.diazepam_10mg_equivalent_mg)
                if self.diazepam_10mg_equivalent_mg is not None
                else None
            ),
        }


class FormularyStamp(models.Model):
    """One row whose `stamp` every formulary change renews, so that each process can tell whether its
    cached formulary lookup is current with one small query (formulary.selectors)."""

    stamp = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "screening_formularystamp"  # moved from the screening app; the table kept its name

    def __str__(self) -> str:
        return f"formulary stamp {self.stamp}"
