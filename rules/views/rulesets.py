"""Rule set pages: the list, one set with its test bench, clone, publish, delete, settings, diff."""

from collections import defaultdict

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import ListView

from core.roles import READ_RULES, RULES_ADMIN, RoleRequiredMixin, has_any_role
from screening.engine import RuleSetInvalid
from screening.engine.testbench import coverage_problems

from ..bench import ruleset_test_results
from ..checks import class_problems
from ..forms import SettingsEditor
from ..models import RuleSet
from ..selectors import ruleset_diff, ruleset_document
from ..services import ruleset_settings_update, self_approval_allowed
from .base import RulesAdminView, ruleset_or_404
from .governance import governance_context


class RuleSetListView(RoleRequiredMixin, ListView):
    required_roles = READ_RULES
    queryset = RuleSet.objects.select_related("approved_by")
    paginate_by = 25
    template_name = "rules/ruleset_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["all_versions"] = RuleSet.objects.only("id", "version", "status").order_by("-created_at")
        context["can_admin"] = has_any_role(self.request.user, [RULES_ADMIN])
        return context


class RuleSetDetailView(RoleRequiredMixin, View):
    required_roles = READ_RULES
    template_name = "rules/ruleset_detail.html"

    def get(self, request, pk):
        ruleset = ruleset_or_404(pk)
        document = ruleset_document(ruleset)
        results = ruleset_test_results(document)
        by_rule = defaultdict(list)
        for result in results:
            by_rule[result.rule].append(result)
        rows = [
            {
                "rule": rule,
                "results": by_rule.get(rule.code, []),
                "failed": sum(1 for r in by_rule.get(rule.code, []) if not r.passed),
            }
            for rule in ruleset.rules.all()
        ]
        return render(
            request,
            self.template_name,
            {
                "object": ruleset,
                "rows": rows,
                "failed": [r for r in results if not r.passed],
                "passed_count": sum(1 for r in results if r.passed),
                "case_count": len(results),
                "untested": [row["rule"].code for row in rows if not row["results"]],
                # what keeps the set from being published besides failing cases: a rule without a firing
                # or a silent case, a class no formulary entry has
                "blockers": [
                    str(p) for p in class_problems(document, required=True) + coverage_problems(document)
                ],
                "can_admin": has_any_role(request.user, [RULES_ADMIN]),
                **governance_context(ruleset, request.user),
            },
        )


class RuleSetSettingsView(RulesAdminView):
    template_name = "rules/ruleset_settings.html"

    def _draft(self, pk):
        ruleset = get_object_or_404(RuleSet, pk=pk)
        if not ruleset.is_draft:
            raise Http404("Only a draft's protocol can be edited; clone the rule set first.")
        return ruleset

    def get(self, request, pk):
        ruleset = self._draft(pk)
        raw = {"protocol"} & set(request.GET) | ({"test_baseline"} if "baseline" in request.GET else set())
        editor = SettingsEditor.for_ruleset(ruleset, raw=raw)
        return render(
            request,
            self.template_name,
            {"ruleset": ruleset, **editor.context(), "self_approval_allowed": self_approval_allowed()},
        )

    def post(self, request, pk):
        ruleset = self._draft(pk)
        editor = SettingsEditor.from_post(request.POST)
        if editor.structure:  # "more rows": the page again with every value entered, nothing saved
            return render(
                request,
                self.template_name,
                {"ruleset": ruleset, **editor.context(), "self_approval_allowed": self_approval_allowed()},
            )
        values = editor.values()
        if values is not None:
            protocol = values[0]
            if "protocol" not in editor.raw and "day_of_checklist" in ruleset.protocol:
                # the form's fields do not hold the day-of checklist (edited as JSON): it is kept as it is
                protocol = {**protocol, "day_of_checklist": ruleset.protocol["day_of_checklist"]}
            try:
                ruleset_settings_update(ruleset=ruleset, protocol=protocol, test_baseline=values[1])
            except RuleSetInvalid as exc:
                editor.add_engine_errors(exc.problems)
            else:
                messages.success(request, f"Protocol and test baseline of {ruleset.version} saved.")
                return redirect("rules:ruleset_detail", pk=pk)
        return render(
            request,
            self.template_name,
            {"ruleset": ruleset, **editor.context(), "self_approval_allowed": self_approval_allowed()},
            status=400,
        )


class RuleSetDiffView(RoleRequiredMixin, View):
    required_roles = READ_RULES
    template_name = "rules/ruleset_diff.html"

    def get(self, request):
        try:
            old = ruleset_or_404(int(request.GET["a"]))
            new = ruleset_or_404(int(request.GET["b"]))
        except (KeyError, ValueError) as exc:
            raise Http404("Choose two rule sets to compare") from exc
        return render(
            request,
            self.template_name,
            {"old": old, "new": new, "diff": ruleset_diff(ruleset_document(old), ruleset_document(new))},
        )
