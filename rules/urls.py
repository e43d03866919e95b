from django.urls import path

from . import views

app_name = "rules"
urlpatterns = [
    path("rulesets/", views.RuleSetListView.as_view(), name="ruleset_list"),
    path("rulesets/diff/", views.RuleSetDiffView.as_view(), name="ruleset_diff"),
    path("rulesets/<int:pk>/", views.RuleSetDetailView.as_view(), name="ruleset_detail"),
    path("rulesets/<int:pk>/clone/", views.RuleSetCloneView.as_view(), name="ruleset_clone"),
    path("rulesets/<int:pk>/submit/", views.RuleSetSubmitView.as_view(), name="ruleset_submit"),
    path("rulesets/<int:pk>/review/", views.RuleSetReviewView.as_view(), name="ruleset_review"),
    path("rulesets/<int:pk>/withdraw/", views.RuleSetWithdrawView.as_view(), name="ruleset_withdraw"),
    path("rulesets/<int:pk>/delete/", views.RuleSetDeleteView.as_view(), name="ruleset_delete"),
    path("rulesets/<int:pk>/settings/", views.RuleSetSettingsView.as_view(), name="ruleset_settings"),
    path("rulesets/<int:pk>/rules/new/", views.RuleAddView.as_view(), name="rule_add"),
    path("rulesets/<int:pk>/rules/<int:rule_id>/", views.RuleEditView.as_view(), name="rule_edit"),
    path("rulesets/<int:pk>/rules/<int:rule_id>/remove/", views.RuleRemoveView.as_view(), name="rule_remove"),
    path(
        "rulesets/<int:pk>/rules/<int:rule_id>/history/", views.RuleHistoryView.as_view(), name="rule_history"
    ),
]
