"""Pages for one rule of a draft: add, edit, remove, and its history."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from core.history import history_entries
from core.roles import READ_RULES, RoleRequiredMixin
from formulary.models import FormularyEntry
from screening.engine import REGISTRY, RuleSetInvalid

from ..bench import ruleset_test_results
from ..describe import field_changes
from ..forms import RuleEditor
from ..models import Rule, RuleSet
from ..rows import intake_rows
from ..selectors import ruleset_document
from ..services import rule_add, rule_remove, rule_update, self_approval_allowed
from .base import RulesAdminView


class RuleAddView(RulesAdminView):
    template_name = "rules/rule_form.html"

    def _draft(self, pk):
        ruleset = get_object_or_404(RuleSet, pk=pk)
        if not ruleset.is_draft:
            raise Http404("Rules can only be added to a draft.")
        return ruleset

    def get(self, request, pk):
        blank_rule = {"enabled": True, "predicate": {"kind": "answer_in", "params": {}}}
        editor = RuleEditor.for_rule(blank_rule, new=True, raw=request.GET)
        return _page(request, self.template_name, editor, {"ruleset": self._draft(pk)})

    def post(self, request, pk):
        ruleset = self._draft(pk)
        editor = RuleEditor.from_post(request.POST, new=True)
        if editor.structure:  # a structural edit: the page again with the edited tree, nothing saved
            return _page(request, self.template_name, editor, {"ruleset": ruleset})
        values = editor.values()
        if values is not None:
            code = values["code"].strip()
            try:
                rule_add(ruleset=ruleset, values={**values, "code": code}, user=request.user)
            except RuleSetInvalid as exc:
                editor.add_engine_errors(exc.problems, code)
            else:
                messages.success(request, f"{code} added to draft {ruleset.version}.")
                return redirect("rules:ruleset_detail", pk=pk)
        return _page(request, self.template_name, editor, {"ruleset": ruleset}, status=400)


class RuleRemoveView(RulesAdminView):
    """A confirmation page (GET), then the removal (POST)."""

    def get(self, request, pk, rule_id):
        rule = get_object_or_404(Rule.objects.select_related("ruleset"), pk=rule_id, ruleset_id=pk)
        return render(request, "rules/rule_confirm_remove.html", {"rule": rule, "ruleset": rule.ruleset})

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


def _page(request, template_name, editor, extra, status=200):
    """The rule page: the editor's fields, the predicate kinds table and the formulary's known classes."""
    known_classes = sorted(
        {
            name
            for classes in FormularyEntry.objects.values_list("classes", flat=True)
            for name in (classes if isinstance(classes, list) else [])
            if isinstance(name, str)
        }
    )
    intake_paths = [path for path, _ in intake_rows(extra["ruleset"].test_baseline)]
    context = {
        **_kinds_context(),
        **editor.context(),
        **extra,
        "known_classes": known_classes,
        "intake_paths": intake_paths,
        "self_approval_allowed": self_approval_allowed(),
    }
    return render(request, template_name, context, status=status)


class RuleEditView(RulesAdminView):
    template_name = "rules/rule_form.html"

    def _rule(self, pk, rule_id):
        rule = get_object_or_404(Rule.objects.select_related("ruleset"), pk=rule_id, ruleset_id=pk)
        if not rule.ruleset.is_draft:
            raise Http404("Only rules of a draft can be edited; clone the rule set first.")
        return rule

    def get(self, request, pk, rule_id):
        rule = self._rule(pk, rule_id)
        editor = RuleEditor.for_rule(rule.as_document(), raw=request.GET)
        return _page(request, self.template_name, editor, {"rule": rule, "ruleset": rule.ruleset})

    def post(self, request, pk, rule_id):
        rule = self._rule(pk, rule_id)
        editor = RuleEditor.from_post(request.POST)
        context = {"rule": rule, "ruleset": rule.ruleset}
        if editor.structure:  # a structural edit: the page again with the edited tree, nothing saved
            return _page(request, self.template_name, editor, context)
        values = editor.values()
        if values is not None:
            try:
                rule_update(rule=rule, values=values, user=request.user)
            except RuleSetInvalid as exc:
                editor.add_engine_errors(exc.problems, rule.code)
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
        return _page(request, self.template_name, editor, context, status=400)


class RuleHistoryView(RoleRequiredMixin, View):
    required_roles = READ_RULES
    template_name = "rules/rule_history.html"

    def get(self, request, pk, rule_id):
        rule = get_object_or_404(Rule.objects.select_related("ruleset"), pk=rule_id, ruleset_id=pk)
        records = rule.history.select_related("history_user").order_by("history_date", "history_id")
        entries = history_entries(records, describe=field_changes)
        versions = (
            Rule.objects.filter(code=rule.code).select_related("ruleset").order_by("ruleset__created_at")
        )
        return render(
            request,
            self.template_name,
            {
                "rule": rule,
                "object": rule.ruleset,
                "entries": entries,
                "versions": versions,
                "self_approval_allowed": self_approval_allowed(),
            },
        )
