"""Any saved or deleted formulary entry renews the formulary stamp (bulk loads renew it themselves)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import FormularyEntry
from .services import formulary_changed


@receiver(post_save, sender=FormularyEntry)
@receiver(post_delete, sender=FormularyEntry)
def formulary_entry_changed(sender, **kwargs):
    formulary_changed()
