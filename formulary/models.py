from django.db import models
from simple_history.models import HistoricalRecords


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
    components = models.JSONField(
        default=list, blank=True, help_text="A combination product's generics, e.g. acetaminophen, codeine."
    )
    dose_component = models.CharField(
        max_length=120, blank=True, help_text="Combinations: the component whose dose is recorded."
    )
    max_daily_mg = models.DecimalField(
        max_digits=9,
        decimal_places=3,
        null=True,
        blank=True,
        help_text="Highest maximum daily dose of the US label for any adult indication (A15).",
    )
    max_daily_source = models.CharField(
        max_length=300, blank=True, help_text="Where the maximum comes from: the label and its section."
    )
    history = HistoricalRecords(table_name="screening_historicalformularyentry")

    class Meta:
        db_table = "screening_formularyentry"  # moved from the screening app; the table kept its name
        ordering = ["generic"]
        verbose_name_plural = "formulary entries"

    def __str__(self) -> str:
        return self.generic

    def as_entry(self) -> dict:
        """The entry as the fixture and `manage.py formulary export` write it (optional fields only when set)."""
        entry = {
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
        if self.components:
            entry["components"] = self.components
        if self.dose_component:
            entry["dose_component"] = self.dose_component
        if self.max_daily_mg is not None:
            entry["max_daily_mg"] = float(self.max_daily_mg)
            entry["max_daily_source"] = self.max_daily_source
        return entry


class ErrorProneAbbreviation(models.Model):
    """A drug-name abbreviation on the ISMP list (A16): a typed name equal to it never resolves."""

    abbreviation = models.CharField(max_length=20, unique=True)
    means = models.JSONField(default=list, blank=True, help_text="What it has been read as.")
    source = models.CharField(max_length=40, default="A16")

    class Meta:
        ordering = ["abbreviation"]

    def __str__(self) -> str:
        return self.abbreviation


class FormularyVersion(models.Model):
    """One state of the formulary: every change that alters its content makes a new version with the
    sha256 of the content, and a screening records the version it resolved names with."""

    number = models.PositiveIntegerField(unique=True)
    sha256 = models.CharField(max_length=64)
    entries = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"formulary v{self.number} ({self.sha256[:12]})"


class FormularyStamp(models.Model):
    """One row whose `stamp` every formulary change renews, so that each process can tell whether its
    cached formulary lookup is current with one small query (formulary.selectors)."""

    stamp = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "screening_formularystamp"  # moved from the screening app; the table kept its name

    def __str__(self) -> str:
        return f"formulary stamp {self.stamp}"
