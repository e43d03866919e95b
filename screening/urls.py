from django.urls import path

from . import report_views, views

app_name = "screening"
urlpatterns = [
    path("rulesets/", views.RuleSetListView.as_view(), name="ruleset_list"),
    path("rulesets/diff/", views.RuleSetDiffView.as_view(), name="ruleset_diff"),
    path("rulesets/<int:pk>/", views.RuleSetDetailView.as_view(), name="ruleset_detail"),
    path("rulesets/<int:pk>/clone/", views.RuleSetCloneView.as_view(), name="ruleset_clone"),
    path("rulesets/<int:pk>/publish/", views.RuleSetPublishView.as_view(), name="ruleset_publish"),
    path("rulesets/<int:pk>/delete/", views.RuleSetDeleteView.as_view(), name="ruleset_delete"),
    path("rulesets/<int:pk>/settings/", views.RuleSetSettingsView.as_view(), name="ruleset_settings"),
    path("rulesets/<int:pk>/impact/", views.ImpactView.as_view(), name="impact"),
    path("rulesets/<int:pk>/impact/start/", views.ImpactStartView.as_view(), name="impact_start"),
    path("rulesets/<int:pk>/rules/new/", views.RuleAddView.as_view(), name="rule_add"),
    path("rulesets/<int:pk>/rules/<int:rule_id>/", views.RuleEditView.as_view(), name="rule_edit"),
    path("rulesets/<int:pk>/rules/<int:rule_id>/remove/", views.RuleRemoveView.as_view(), name="rule_remove"),
    path(
        "rulesets/<int:pk>/rules/<int:rule_id>/history/", views.RuleHistoryView.as_view(), name="rule_history"
    ),
    path("reports/", report_views.ReportListView.as_view(), name="report_list"),
    path("patients/<int:pk>/screen/", report_views.ScreenNowView.as_view(), name="screen_now"),
    path("<int:pk>/", report_views.ScreeningDetailView.as_view(), name="detail"),
    path("<int:pk>/override/", report_views.OverrideView.as_view(), name="override"),
    path("<int:pk>/overrides/<int:override_id>/cosign/", report_views.CosignView.as_view(), name="cosign"),
    path("<int:pk>/sign/", report_views.SignView.as_view(), name="sign"),
    path("<int:pk>/pdf/", report_views.PdfRequestView.as_view(), name="pdf_request"),
    path("<int:pk>/pdf/status/", report_views.PdfStatusView.as_view(), name="pdf_status"),
    path("<int:pk>/pdf/download/", report_views.PdfDownloadView.as_view(), name="pdf_download"),
]
