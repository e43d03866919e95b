from django.apps import AppConfig


class FormularyConfig(AppConfig):
    """Reference data: the medications the screening can classify, their name resolution and its cache."""

    name = "formulary"
    verbose_name = "Formulary"

    def ready(self):
        from . import signals  # noqa: F401 (connects the receivers)
