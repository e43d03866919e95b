"""Rule administration pages: rule sets, their rules, the test bench, publishing, diffs, history."""

from .governance import (
    RuleSetCloneView,
    RuleSetDeleteView,
    RuleSetReviewView,
    RuleSetSubmitView,
    RuleSetWithdrawView,
)
from .rules import RuleAddView, RuleEditView, RuleHistoryView, RuleRemoveView
from .rulesets import RuleSetDetailView, RuleSetDiffView, RuleSetListView, RuleSetSettingsView

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
    "RuleSetReviewView",
    "RuleSetSettingsView",
    "RuleSetSubmitView",
    "RuleSetWithdrawView",
]
