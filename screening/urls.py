from django.urls import path

from . import impact_views, report_views, worklist_views

app_name = "screening"
urlpatterns = [
    path("rulesets/<int:pk>/impact/", impact_views.ImpactView.as_view(), name="impact"),
    path("rulesets/<int:pk>/impact/start/", impact_views.ImpactStartView.as_view(), name="impact_start"),
    path("worklists/", worklist_views.WorklistsView.as_view(), name="worklists"),
    path("reports/", report_views.ReportListView.as_view(), name="report_list"),
    path("patients/<int:pk>/screen/", report_views.ScreenNowView.as_view(), name="screen_now"),
    path(
        "patients/<int:pk>/screenings/",
        report_views.PatientScreeningsView.as_view(),
        name="patient_screenings",
    ),
    path("<int:pk>/", report_views.ScreeningDetailView.as_view(), name="detail"),
    path("<int:pk>/override/", report_views.OverrideView.as_view(), name="override"),
    path("<int:pk>/overrides/<int:override_id>/cosign/", report_views.CosignView.as_view(), name="cosign"),
    path("<int:pk>/suggest/", report_views.SuggestView.as_view(), name="suggest"),
    path("<int:pk>/sign/", report_views.SignView.as_view(), name="sign"),
    path("<int:pk>/pdf/", report_views.PdfRequestView.as_view(), name="pdf_request"),
    path("<int:pk>/pdf/status/", report_views.PdfStatusView.as_view(), name="pdf_status"),
    path("<int:pk>/pdf/download/", report_views.PdfDownloadView.as_view(), name="pdf_download"),
]
