"""Formulary entries for rules admins: list with search, add, edit (validated as an import is, names kept
unique), and each entry's history (who, when, before and after)."""

from django.contrib import messages
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View
from django.views.generic import ListView

from core.history import history_entries
from core.roles import ADMIN_RULES, RoleRequiredMixin
from core.search import SessionSearchMixin

from ..forms import FormularyEntryForm
from ..models import FormularyEntry, FormularyVersion
from ..services import FormularyInvalid, formulary_entry_save


class FormularyAdmin(RoleRequiredMixin, View):
    required_roles = ADMIN_RULES


class EntryListView(RoleRequiredMixin, SessionSearchMixin, ListView):
    required_roles = ADMIN_RULES
    template_name = "formulary/entry_list.html"
    paginate_by = 50
    context_object_name = "entries"
    search_key = "formulary_search"

    def get_queryset(self):
        entries = FormularyEntry.objects.order_by("generic")
        query = self.query
        if query:
            entries = entries.filter(
                Q(generic__icontains=query) | Q(brands__icontains=query) | Q(aliases__icontains=query)
            )
        return entries

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["version"] = FormularyVersion.objects.order_by("-number").first()
        return context


def _save(request, form, entry, template):
    if form.is_valid():
        try:
            saved = formulary_entry_save(entry=entry, values=form.cleaned_data, user=request.user)
        except FormularyInvalid as exc:
            for error in exc.errors:
                field = error.split(":", 1)[0].rsplit(".", 1)[-1]
                form.add_error(field if field in form.fields else None, error.split(": ", 1)[-1])
        else:
            messages.success(request, f"{saved.generic} saved: the formulary has a new version.")
            return redirect("formulary:entry_list")
    return render(request, template, {"form": form, "entry": entry}, status=400)


class EntryAddView(FormularyAdmin):
    template_name = "formulary/entry_form.html"

    def get(self, request):
        return render(request, self.template_name, {"form": FormularyEntryForm(), "entry": None})

    def post(self, request):
        return _save(request, FormularyEntryForm(request.POST), None, self.template_name)


class EntryEditView(FormularyAdmin):
    template_name = "formulary/entry_form.html"

    def get(self, request, pk):
        entry = get_object_or_404(FormularyEntry, pk=pk)
        return render(
            request, self.template_name, {"form": FormularyEntryForm(instance=entry), "entry": entry}
        )

    def post(self, request, pk):
        entry = get_object_or_404(FormularyEntry, pk=pk)
        return _save(request, FormularyEntryForm(request.POST, instance=entry), entry, self.template_name)


class EntryHistoryView(FormularyAdmin):
    def get(self, request, pk):
        entry = get_object_or_404(FormularyEntry, pk=pk)
        records = entry.history.select_related("history_user").order_by("history_date", "history_id")
        return render(
            request, "formulary/entry_history.html", {"entry": entry, "entries": history_entries(records)}
        )
