"""Search forms that keep patient identifiers out of URLs."""

import re

from django.shortcuts import redirect

# What a search term may not carry: NUL (PostgreSQL text refuses it) and lone surrogates (not encodable),
# both from a hostile or broken client. They are dropped, so a stored term can always be searched with.
_UNSEARCHABLE = re.compile("[\x00\ud800-\udfff]")


def search_term(value) -> str:
    return _UNSEARCHABLE.sub("", str(value or "")).strip()[:100]


class SessionSearchMixin:
    """Search terms are names and record numbers: they are POSTed and kept in the session, never put in a
    URL (where they would reach browser history and access logs). Pagination links carry only the page
    number and the id of the row they continue from (core.pagination)."""

    search_key = ""

    def post(self, request, *args, **kwargs):
        request.session[self.search_key] = search_term(request.POST.get("q", ""))
        return redirect(request.path)

    @property
    def query(self) -> str:
        # cleaned on the way out too: a term stored before this check must not break the page for good
        return search_term(self.request.session.get(self.search_key, ""))

    def get_context_data(self, **kwargs):
        return super().get_context_data(query=self.query, **kwargs)
