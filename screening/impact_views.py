"""The impact preview of a draft rule set on recent screenings (started and shown from the rules pages).

It shows what a change does (verdict transitions, rules newly firing or no longer firing, with counts and
screening ids), never who it touches: a rules admin has no patient access."""

from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from core.audit import audit_record
from core.roles import ADMIN_RULES, RoleRequiredMixin
from rules.models import RuleSet

from .impact import impact_preview_latest, impact_preview_start, impact_preview_summary
from .impact_forms import ImpactScopeForm


class RulesAdminView(RoleRequiredMixin, View):
    required_roles = ADMIN_RULES


def _render(
    request, ruleset: RuleSet, *, partial: bool, form: ImpactScopeForm | None = None, status: int = 200
):
    """The page, or only its result panel (`partial`: htmx polls it while the preview runs)."""
    preview = impact_preview_latest(ruleset)
    summary = impact_preview_summary(preview, ruleset)
    if form is None:
        initial = (
            {"limit": preview.limit, "date_from": preview.date_from, "date_to": preview.date_to}
            if preview is not None
            else {}
        )
        form = ImpactScopeForm(initial=initial)
    template = "screening/includes/impact.html" if partial else "screening/impact.html"
    return render(
        request,
        template,
        {
            "object": ruleset,
            "form": form,
            "preview": preview,
            "summary": summary,
            "result": summary["result"] if summary else {},
            "preview_stale": bool(summary and summary["stale"]),
        },
        status=status,
    )


class ImpactStartView(RulesAdminView):
    def post(self, request, pk):
        ruleset = get_object_or_404(RuleSet, pk=pk)
        form = ImpactScopeForm(request.POST)
        if not form.is_valid():
            return _render(request, ruleset, partial=False, form=form, status=400)
        impact_preview_start(ruleset=ruleset, user=request.user, **form.scope())
        return redirect("screening:impact", pk=pk)


class ImpactView(RulesAdminView):
    def get(self, request, pk):
        ruleset = get_object_or_404(RuleSet, pk=pk)
        if not request.htmx:  # the page, not its 2-second polls
            audit_record(action="view", request=request, object_type="impactpreview", object_id=pk)
        return _render(request, ruleset, partial=bool(request.htmx))
