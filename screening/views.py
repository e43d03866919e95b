from django.views.generic import DetailView, ListView

from config.roles import CLINICIAN, RULES_ADMIN, RoleRequiredMixin

from .models import RuleSet


class RuleSetListView(RoleRequiredMixin, ListView):
    required_roles = (RULES_ADMIN, CLINICIAN)
    model = RuleSet
    paginate_by = 25
    template_name = "screening/ruleset_list.html"


class RuleSetDetailView(RoleRequiredMixin, DetailView):
    required_roles = (RULES_ADMIN, CLINICIAN)
    template_name = "screening/ruleset_detail.html"

    def get_queryset(self):
        return RuleSet.objects.prefetch_related("rules")
