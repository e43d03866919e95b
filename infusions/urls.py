from django.urls import path

from . import sheet_views, views

app_name = "infusions"
urlpatterns = [
    path("patients/<int:pk>/infusions/new/", views.InfusionStartView.as_view(), name="start"),
    path("infusions/<int:pk>/", views.InfusionDetailView.as_view(), name="detail"),
    path("infusions/<int:pk>/check/", views.CheckView.as_view(), name="check"),
    path("infusions/<int:pk>/authorize/", views.AuthorizeView.as_view(), name="authorize"),
    path("infusions/<int:pk>/monitor/", views.MonitorView.as_view(), name="monitor"),
    path("infusions/<int:pk>/discharge/", views.DischargeView.as_view(), name="discharge"),
    path("infusions/<int:pk>/sign/", views.SignView.as_view(), name="sign"),
    path(
        "infusions/<int:pk>/measures/new/<str:instrument>/",
        views.InfusionMeasureAddView.as_view(),
        name="measure_add",
    ),
    path("infusions/<int:pk>/sheet/", sheet_views.SheetRequestView.as_view(), name="sheet_request"),
    path("infusions/<int:pk>/sheet/status/", sheet_views.SheetStatusView.as_view(), name="sheet_status"),
    path("infusions/<int:pk>/sheet.pdf", sheet_views.SheetDownloadView.as_view(), name="sheet_download"),
]
