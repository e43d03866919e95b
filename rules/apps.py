from django.apps import AppConfig


class RulesConfig(AppConfig):
    """Rule sets as versioned data: drafts, publishing, diffs, history, the rules admin pages and CLI."""

    name = "rules"
    verbose_name = "Rules"

    def ready(self):
        from . import signals  # noqa: F401 - records governance steps in the audit trail
