from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "screening"
    verbose_name = "Screening"

    def ready(self):
        from . import signals  # noqa: F401 (connects the receivers)
