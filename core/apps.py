from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Site-wide pieces: roles (auth groups), users and API tokens, the home page, shared mixins."""

    name = "core"
    label = "core"
    verbose_name = "Core"
