from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from api.urls import api_urls
from core.account_views import BackupCodesView, KeepAliveView, TwoFactorEnrolView, TwoFactorVerifyView
from core.audit_views import AuditListView
from core.health import HealthView, ReadyView
from core.metrics import metrics_view
from core.views import HomeView
from interop.cds_hooks import views as cds_hooks

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("healthz", login_not_required(HealthView.as_view()), name="health"),
    path("metrics", metrics_view, name="metrics"),  # Prometheus: a token or an internal network only
    path("readyz", login_not_required(ReadyView.as_view()), name="ready"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", TwoFactorVerifyView.as_view(), name="two_factor_verify"),
    path("accounts/two-factor/enrol/", TwoFactorEnrolView.as_view(), name="two_factor_enrol"),
    path("accounts/two-factor/backup-codes/", BackupCodesView.as_view(), name="two_factor_backup_codes"),
    path("accounts/keep-alive/", KeepAliveView.as_view(), name="keep_alive"),
    path("admin/", admin.site.urls),
    path("audit/", AuditListView.as_view(), name="audit_list"),
    path("patients/", include("patients.urls")),
    path("formulary/", include("formulary.urls")),
    path("screening/", include("rules.urls")),  # the rules admin pages keep their /screening/rulesets/ paths
    path("screening/", include("screening.urls")),
    path("screening/", include("interop.fhir.export_urls")),  # the report page's FHIR download
    path("", include("infusions.urls")),  # /patients/<pk>/infusions/new/ and /infusions/<id>/...
    path("api/v1/", api_urls),
    # CDS Hooks at the paths its specification fixes (the same services as /api/v1/cds-services...)
    path("cds-services", cds_hooks.discovery_view, name="cds_discovery"),
    path("cds-services/<str:service_id>", cds_hooks.service_view, name="cds_service"),
    path("cds-services/<str:service_id>/feedback", cds_hooks.feedback_view, name="cds_feedback"),
]
