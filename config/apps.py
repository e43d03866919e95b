from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Site-wide pieces: roles (auth groups), home page, base templates."""

    name = "config"
    label = "core"
    verbose_name = "Core"
