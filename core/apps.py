from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Site-wide pieces: roles (auth groups), users and API tokens, the home page, shared mixins."""

    name = "core"
    label = "core"
    verbose_name = "Core"

    def ready(self):
        # connect the sign-in receivers: audit events (signals) and the session's sign-in time (sessions)
        from . import sessions, signals  # noqa: F401
