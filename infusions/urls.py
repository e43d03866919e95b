from django.urls import path

from . import sheet_views

app_name = "infusions"
urlpatterns = [
    path("infusions/<int:pk>/sheet/", sheet_views.SheetRequestView.as_view(), name="sheet_request"),
    path("infusions/<int:pk>/sheet.pdf", sheet_views.SheetDownloadView.as_view(), name="sheet_download"),
]
