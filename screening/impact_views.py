"""The impact preview of a draft rule set on recent screenings (started and shown from the rules pages)."""

from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from core.roles import RULES_ADMIN, RoleRequiredMixin
from rules.models import RuleSet

from .impact import impact_preview_start
from .models import ImpactPreview


class RulesAdminView(RoleRequiredMixin, View):
    required_roles = (RULES_ADMIN,)


class ImpactStartView(RulesAdminView):
    def post(self, request, pk):
        ruleset = get_object_or_404(RuleSet, pk=pk)
        try:
            limit = max(1, min(5000, int(request.POST.get("limit", 500))))
        except ValueError:
            limit = 500
        impact_preview_start(ruleset=ruleset, user=request.user, limit=limit)
        return redirect("screening:impact", pk=pk)


class ImpactView(RulesAdminView):
    def get(self, request, pk):
        ruleset = get_object_or_404(RuleSet, pk=pk)
        preview = ImpactPreview.objects.filter(ruleset=ruleset).first()
        template = "screening/includes/impact.html" if request.htmx else "screening/impact.html"
        return render(
            request,
            template,
            {
                "object": ruleset,
                "preview": preview,
                "preview_stale": preview is not None and preview.ruleset_sha256 != ruleset.sha256,
            },
        )
