from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "screening"
    verbose_name = "Screening"

    def ready(self):
        from . import (
            page_record,  # noqa: F401 - what the patient page reads with the record
            signals,  # noqa: F401 - tracks screenings and decisions in the audit trail
        )
