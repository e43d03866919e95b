"""The home page's worklists, fetched by the home page once it shows (htmx), or opened as a page of their
own (no JavaScript): the home page itself stays as light as the framework floor (issue 16)."""

from django.views.generic import TemplateView

from core.roles import READ_REPORTS, RoleRequiredMixin

from .worklist import worklists_for


class WorklistsView(RoleRequiredMixin, TemplateView):
    required_roles = READ_REPORTS

    def get_template_names(self):
        if self.request.htmx:
            return ["screening/includes/worklists_region.html"]
        return ["screening/worklists.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["worklists"] = worklists_for(self.request.user)
        return context
