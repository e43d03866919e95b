"""Search forms that keep patient identifiers out of URLs."""

from django.shortcuts import redirect


class SessionSearchMixin:
    """Search terms are names and record numbers: they are POSTed and kept in the session, never put in a
    URL (where they would reach browser history and access logs). Pagination links carry only the page."""

    search_key = ""

    def post(self, request, *args, **kwargs):
        request.session[self.search_key] = request.POST.get("q", "").strip()[:100]
        return redirect(request.path)

    @property
    def query(self) -> str:
        return self.request.session.get(self.search_key, "")

    def get_context_data(self, **kwargs):
        return super().get_context_data(query=self.query, **kwargs)
