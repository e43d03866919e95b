from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The versioned JSON API (/api/v1/): a thin layer over the apps' services."""

    name = "api"
    verbose_name = "JSON API"
