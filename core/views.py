from django.views.generic import TemplateView


class HomeView(TemplateView):
    template_name = "core/home.html"


class HealthView(TemplateView):
    """Liveness for load balancers and docker-compose; reveals nothing."""

    template_name = "core/health.txt"
    content_type = "text/plain"
