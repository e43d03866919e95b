"""Rule administration pages: rule sets, their rules, the test bench, publishing, diffs, history."""

from .rules import RuleAddView, RuleEditView, RuleHistoryView, RuleRemoveView
from .rulesets import (
    RuleSetCloneView,
    RuleSetDeleteView,
    RuleSetDetailView,
    RuleSetDiffView,
    RuleSetListView,
    RuleSetPublishView,
    RuleSetSettingsView,
)

__all__ = [
    "RuleAddView",
    "RuleEditView",
    "RuleHistoryView",
    "RuleRemoveView",
    "RuleSetCloneView",
    "RuleSetDeleteView",
    "RuleSetDetailView",
    "RuleSetDiffView",
    "RuleSetListView",
    "RuleSetPublishView",
    "RuleSetSettingsView",
]
