from django.urls import path

from . import item_views, measure_views, views

app_name = "patients"
urlpatterns = [
    path("", views.PatientListView.as_view(), name="list"),
    path("new/", views.PatientCreateView.as_view(), name="create"),
    path("formulary/suggest/", item_views.FormularySuggestView.as_view(), name="formulary_suggest"),
    path("<int:pk>/", views.PatientDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.PatientEditView.as_view(), name="edit"),
    path("<int:pk>/sections/<str:section>/", views.SectionEditView.as_view(), name="section"),
    path("<int:pk>/export.json", views.PatientExportView.as_view(), name="export"),
    path("<int:pk>/history/", views.PatientHistoryView.as_view(), name="history"),
    path("<int:pk>/diagnoses/", item_views.DiagnosisAddView.as_view(), name="diagnosis_add"),
    path("<int:pk>/diagnoses/<int:dx_id>/", item_views.DiagnosisEditView.as_view(), name="diagnosis_edit"),
    path(
        "<int:pk>/diagnoses/<int:dx_id>/delete/",
        item_views.DiagnosisDeleteView.as_view(),
        name="diagnosis_delete",
    ),
    path("<int:pk>/medications/", item_views.MedicationAddView.as_view(), name="medication_add"),
    path(
        "<int:pk>/medications/<int:med_id>/edit/",
        item_views.MedicationEditView.as_view(),
        name="medication_edit",
    ),
    path(
        "<int:pk>/medications/<int:med_id>/delete/",
        item_views.MedicationDeleteView.as_view(),
        name="medication_delete",
    ),
    path(
        "<int:pk>/medications/reconcile/",
        item_views.MedicationsReconcileView.as_view(),
        name="medications_reconcile",
    ),
    path(
        "<int:pk>/measures/new/<str:instrument>/",
        measure_views.MeasureAddView.as_view(),
        name="measure_add",
    ),
    path(
        "<int:pk>/measures/<int:measure_id>/delete/",
        measure_views.MeasureDeleteView.as_view(),
        name="measure_delete",
    ),
    path("<int:pk>/readings/", item_views.ReadingAddView.as_view(), name="reading_add"),
    path(
        "<int:pk>/readings/<int:reading_id>/delete/",
        item_views.ReadingDeleteView.as_view(),
        name="reading_delete",
    ),
]
