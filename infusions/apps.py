from django.apps import AppConfig


class InfusionsConfig(AppConfig):
    name = "infusions"
    verbose_name = "Infusions"

    def ready(self):
        from . import (
            page_record,  # noqa: F401 - what the patient page reads with the record
            signals,  # noqa: F401 - tracks the infusion records' changes in the audit trail
        )
