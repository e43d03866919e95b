"""Rule-set governance pages: submit a draft for review, review it (approve or return), withdraw it, clone
a set into a draft, delete a draft (after a confirmation)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from core.roles import RULES_ADMIN, has_any_role
from screening.engine import RuleSetInvalid

from ..checks import publish_problems
from ..governance_forms import CloneForm, ReviewForm, SubmitForm
from ..models import RuleSet
from ..selectors import ruleset_document, ruleset_integrity
from ..services import (
    PublishRefused,
    ruleset_approve,
    ruleset_clone,
    ruleset_delete_draft,
    ruleset_return,
    ruleset_submit,
    ruleset_withdraw,
    self_approval_allowed,
)
from .base import RulesAdminView


def governance_context(ruleset: RuleSet, user) -> dict:
    """What every page of a rule set shows about its governance: who wrote, submitted, approved and
    activated it, its trail, whether self-approval is allowed, and whether its rows are intact."""
    is_admin = has_any_role(user, [RULES_ADMIN])
    is_author = ruleset.submitted_by_id is not None and ruleset.submitted_by_id == user.pk
    return {
        "events": ruleset.events.select_related("actor")[:50],
        "is_author": is_author,
        "can_submit": is_admin
        and ruleset.is_draft
        and (not ruleset.is_submitted or ruleset.changed_since_submitted),
        "can_review": is_admin
        and ruleset.is_submitted
        and not ruleset.changed_since_submitted
        and (not is_author or self_approval_allowed()),
        "self_approval_allowed": self_approval_allowed(),
        "integrity_problem": ruleset_integrity(ruleset),
    }


def _refusal(form, exc: PublishRefused) -> None:
    shown = exc.reasons[:25]
    for reason in shown:
        form.add_error(None, reason)
    if len(exc.reasons) > len(shown):
        form.add_error(None, f"… and {len(exc.reasons) - len(shown)} more")


class RuleSetSubmitView(RulesAdminView):
    template_name = "rules/ruleset_submit.html"

    def _context(self, request, ruleset, form):
        return {
            "object": ruleset,
            "form": form,
            "blockers": publish_problems(ruleset_document(ruleset)),
            **governance_context(ruleset, request.user),
        }

    def get(self, request, pk):
        ruleset = get_object_or_404(RuleSet.objects.prefetch_related("rules"), pk=pk)
        return render(request, self.template_name, self._context(request, ruleset, SubmitForm()))

    def post(self, request, pk):
        ruleset = get_object_or_404(RuleSet.objects.prefetch_related("rules"), pk=pk)
        form = SubmitForm(request.POST)
        if form.is_valid():
            try:
                ruleset_submit(ruleset=ruleset, by=request.user, note=form.cleaned_data["note"])
            except PublishRefused as exc:
                # what keeps the draft from review is listed once, above the form (the page's blockers);
                # anything else (a missing note, already submitted) goes on the form
                blockers = set(publish_problems(ruleset_document(ruleset)))
                _refusal(form, PublishRefused([r for r in exc.reasons if r not in blockers]))
            else:
                messages.success(request, f"{ruleset.version} is submitted; another rules admin reviews it.")
                return redirect("rules:ruleset_detail", pk=pk)
        return render(request, self.template_name, self._context(request, ruleset, form), status=400)


class RuleSetReviewView(RulesAdminView):
    template_name = "rules/ruleset_review.html"

    def _context(self, request, ruleset, form):
        active = RuleSet.objects.filter(is_active=True).exclude(pk=ruleset.pk).first()
        return {
            "object": ruleset,
            "form": form,
            "active": active,
            **governance_context(ruleset, request.user),
        }

    def get(self, request, pk):
        ruleset = get_object_or_404(RuleSet, pk=pk)
        return render(request, self.template_name, self._context(request, ruleset, ReviewForm()))

    def post(self, request, pk):
        ruleset = get_object_or_404(RuleSet, pk=pk)
        form = ReviewForm(request.POST)
        if form.is_valid():
            comment = form.cleaned_data["comment"]
            try:
                if form.cleaned_data["decision"] == "approve":
                    ruleset_approve(ruleset=ruleset, by=request.user, comment=comment)
                    messages.success(request, f"Rule set {ruleset.version} is published and active.")
                else:
                    ruleset_return(ruleset=ruleset, by=request.user, comment=comment)
                    messages.success(request, f"{ruleset.version} is returned to its author.")
            except PublishRefused as exc:
                _refusal(form, exc)
            else:
                return redirect("rules:ruleset_detail", pk=pk)
        return render(request, self.template_name, self._context(request, ruleset, form), status=400)


class RuleSetWithdrawView(RulesAdminView):
    def post(self, request, pk):
        ruleset = get_object_or_404(RuleSet, pk=pk)
        try:
            ruleset_withdraw(ruleset=ruleset, by=request.user)
        except PublishRefused as exc:
            messages.error(request, "Not withdrawn: " + "; ".join(exc.reasons))
        else:
            messages.success(request, f"{ruleset.version} is withdrawn from review; it can be edited again.")
        return redirect("rules:ruleset_detail", pk=pk)


class RuleSetCloneView(RulesAdminView):
    template_name = "rules/ruleset_clone.html"

    def get(self, request, pk):
        source = get_object_or_404(RuleSet, pk=pk)
        return render(request, self.template_name, {"source": source, "form": CloneForm()})

    def post(self, request, pk):
        source = get_object_or_404(RuleSet, pk=pk)
        form = CloneForm(request.POST)
        if form.is_valid():
            try:
                draft = ruleset_clone(
                    source=source, version=form.cleaned_data["version"], created_by=request.user
                )
            except RuleSetInvalid as exc:
                for problem in exc.errors[:25]:
                    form.add_error(None, problem)
            else:
                messages.success(request, f"Draft {draft.version} created from {source.version}.")
                return redirect("rules:ruleset_detail", pk=draft.pk)
        return render(request, self.template_name, {"source": source, "form": form}, status=400)


class RuleSetDeleteView(RulesAdminView):
    """A confirmation page (GET), then the deletion (POST)."""

    template_name = "rules/ruleset_confirm_delete.html"

    def get(self, request, pk):
        ruleset = get_object_or_404(RuleSet, pk=pk)
        return render(request, self.template_name, {"object": ruleset, "rule_count": ruleset.rules.count()})

    def post(self, request, pk):
        ruleset = get_object_or_404(RuleSet, pk=pk)
        try:
            ruleset_delete_draft(ruleset=ruleset, by=request.user)
        except RuleSetInvalid as exc:
            messages.error(request, "; ".join(exc.errors))
            return redirect("rules:ruleset_detail", pk=pk)
        messages.success(request, f"Draft {ruleset.version} deleted.")
        return redirect("rules:ruleset_list")
