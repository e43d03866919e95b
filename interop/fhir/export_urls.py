"""The export's page URL, under /screening/ beside the report page it is offered on (config/urls.py)."""

from django.urls import path

from .export_views import ScreeningFhirDownloadView

app_name = "interop"
urlpatterns = [
    path("<int:pk>/fhir/", ScreeningFhirDownloadView.as_view(), name="screening_fhir"),
]
