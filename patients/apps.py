from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients"

    def ready(self):
        from . import signals  # noqa: F401 - tracks the record's changes in the audit trail
