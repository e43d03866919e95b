"""Pages for one rule of a draft: add, edit, remove, and its history."""

import json

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from core.history import history_entries
from core.roles import READ_RULES, RoleRequiredMixin
from screening.engine import REGISTRY, RuleSetInvalid

from ..bench import ruleset_test_results
from ..forms import NewRuleForm, RuleForm
from ..models import Rule, RuleSet
from ..selectors import ruleset_document
from ..services import (
    rule_add,
    rule_remove,
    rule_update,
)
from .base import RulesAdminView


class RuleAddView(RulesAdminView):
    template_name = "rules/rule_form.html"

    def _draft(self, pk):
        ruleset = get_object_or_404(RuleSet, pk=pk)
        if not ruleset.is_draft:
            raise Http404("Rules can only be added to a draft.")
        return ruleset

    def get(self, request, pk):
        form = NewRuleForm(
            initial={"enabled": True, "predicate": '{"kind": "answer_in", "params": {}}', "tests": "[]"}
        )
        return render(
            request, self.template_name, {**_kinds_context(), "form": form, "ruleset": self._draft(pk)}
        )

    def post(self, request, pk):
        ruleset = self._draft(pk)
        form = NewRuleForm(request.POST)
        if form.is_valid():
            code = form.cleaned_data["code"].strip()
            try:
                rule_add(ruleset=ruleset, values={**form.cleaned_data, "code": code}, user=request.user)
            except RuleSetInvalid as exc:
                form.add_engine_errors(exc.problems, code)
            else:
                messages.success(request, f"{code} added to draft {ruleset.version}.")
                return redirect("rules:ruleset_detail", pk=pk)
        return render(
            request, self.template_name, {**_kinds_context(), "form": form, "ruleset": ruleset}, status=400
        )


class RuleRemoveView(RulesAdminView):
    def post(self, request, pk, rule_id):
        rule = get_object_or_404(Rule.objects.select_related("ruleset"), pk=rule_id, ruleset_id=pk)
        try:
            rule_remove(rule=rule, user=request.user)
        except RuleSetInvalid as exc:
            messages.error(request, "; ".join(exc.errors))
        else:
            messages.success(request, f"{rule.code} removed from draft {rule.ruleset.version}.")
        return redirect("rules:ruleset_detail", pk=pk)


def _kinds_context():
    kinds = [
        {
            "name": k.name,
            "description": k.description,
            "params": [(n, p.type, p.required, ", ".join(p.choices)) for n, p in k.params.items()],
        }
        for k in sorted(REGISTRY.values(), key=lambda k: k.name)
    ]
    return {"kinds": kinds}


class RuleEditView(RulesAdminView):
    template_name = "rules/rule_form.html"

    def _rule(self, pk, rule_id):
        rule = get_object_or_404(Rule.objects.select_related("ruleset"), pk=rule_id, ruleset_id=pk)
        if not rule.ruleset.is_draft:
            raise Http404("Only rules of a draft can be edited; clone the rule set first.")
        return rule

    def _context(self, rule, form):
        return {**_kinds_context(), "rule": rule, "ruleset": rule.ruleset, "form": form}

    def get(self, request, pk, rule_id):
        rule = self._rule(pk, rule_id)
        form = RuleForm(
            initial={
                "severity": rule.severity,
                "title": rule.title,
                "action": rule.action,
                "sources": ", ".join(rule.sources),
                "enabled": rule.enabled,
                "predicate": json.dumps(rule.predicate, indent=2),
                "tests": json.dumps(rule.tests, indent=2),
                "override": rule.override,
                "override_reasons": json.dumps(rule.override_reasons, indent=2)
                if rule.override_reasons
                else "",
            }
        )
        return render(request, self.template_name, self._context(rule, form))

    def post(self, request, pk, rule_id):
        rule = self._rule(pk, rule_id)
        form = RuleForm(request.POST)
        if form.is_valid():
            values = {**form.cleaned_data, "tests": form.cleaned_data["tests"] or []}
            try:
                rule_update(rule=rule, values=values, user=request.user)
            except RuleSetInvalid as exc:
                form.add_engine_errors(exc.problems, rule.code)
            else:
                failing = [
                    r
                    for r in ruleset_test_results(ruleset_document(rule.ruleset), only=rule.code)
                    if not r.passed
                ]
                if failing:
                    messages.warning(
                        request, f"{rule.code} saved, but {len(failing)} of its test cases fail."
                    )
                else:
                    messages.success(request, f"{rule.code} saved; its test cases pass.")
                return redirect("rules:ruleset_detail", pk=pk)
        return render(request, self.template_name, self._context(rule, form), status=400)


class RuleHistoryView(RoleRequiredMixin, View):
    required_roles = READ_RULES
    template_name = "rules/rule_history.html"

    def get(self, request, pk, rule_id):
        rule = get_object_or_404(Rule.objects.select_related("ruleset"), pk=rule_id, ruleset_id=pk)
        records = rule.history.select_related("history_user").order_by("history_date", "history_id")
        entries = history_entries(records)
        versions = (
            Rule.objects.filter(code=rule.code).select_related("ruleset").order_by("ruleset__created_at")
        )
        return render(
            request,
            self.template_name,
            {"rule": rule, "entries": entries, "versions": versions},
        )
