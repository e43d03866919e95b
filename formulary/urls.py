from django.urls import path

from .views import entries

app_name = "formulary"
urlpatterns = [
    path("", entries.EntryListView.as_view(), name="entry_list"),
    path("new/", entries.EntryAddView.as_view(), name="entry_add"),
    path("<int:pk>/", entries.EntryEditView.as_view(), name="entry_edit"),
    path("<int:pk>/history/", entries.EntryHistoryView.as_view(), name="entry_history"),
]
