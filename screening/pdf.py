"""Stored screening -> consult PDF bytes. Writes nothing. WeasyPrint is imported lazily so that a machine
without its system libraries still runs everything else, and says clearly what is missing."""

from __future__ import annotations

import mimetypes

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from .presentation import report_context


class PdfUnavailable(RuntimeError):
    pass


def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: the Python package is there, Pango/HarfBuzz are not
        raise PdfUnavailable(
            "PDF export needs WeasyPrint and its system libraries (Pango, HarfBuzz): "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    return weasyprint


def _static_only_fetcher(weasyprint):
    """Resources may come only from the app's own static files (`static:` URLs); everything else —
    file://, http(s)://, anything named in content — is refused."""

    class StaticOnlyFetcher(weasyprint.URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            name = url.removeprefix("static:").lstrip("/")
            if url.startswith("static:") and ".." not in name.split("/"):
                path = finders.find(name)
                if path:
                    content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
                    with open(path, "rb") as handle:
                        return weasyprint.urls.URLFetcherResponse(
                            url, handle.read(), headers={"Content-Type": content_type}
                        )
            raise ValueError(f"refused to fetch {url[:80]}: only the app's static files are allowed")

    return StaticOnlyFetcher()


def html_to_pdf(html: str) -> bytes:
    weasyprint = _weasyprint()
    return weasyprint.HTML(
        string=html, base_url="static:/", url_fetcher=_static_only_fetcher(weasyprint)
    ).write_pdf()


def render_report_pdf(*, report: dict, intake: dict, review=None, screening=None) -> bytes:
    context = report_context(report=report, intake=intake, review=review)
    context["screening"] = screening
    return html_to_pdf(render_to_string("screening/report_pdf.html", context))


def render_screening_pdf(screening, *, review) -> bytes:
    """The consult PDF of a stored screening: its snapshot and its review state (selectors.ReviewState),
    passed in (this module turns a context into bytes and queries nothing)."""
    return render_report_pdf(
        report=screening.report, intake=screening.intake, review=review, screening=screening
    )
