"""What the rules admin pages share: the rules admin role, the rule set lookup."""

from django.shortcuts import get_object_or_404
from django.views import View

from core.roles import RULES_ADMIN, RoleRequiredMixin

from ..models import RuleSet


class RulesAdminView(RoleRequiredMixin, View):
    required_roles = (RULES_ADMIN,)


def ruleset_or_404(pk):
    return get_object_or_404(RuleSet.objects.prefetch_related("rules"), pk=pk)
