from django.urls import path

from . import views

app_name = "screening"
urlpatterns = [
    path("rulesets/", views.RuleSetListView.as_view(), name="ruleset_list"),
    path("rulesets/<int:pk>/", views.RuleSetDetailView.as_view(), name="ruleset_detail"),
]
