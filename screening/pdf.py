"""Stored screening -> consult PDF bytes. Writes nothing. WeasyPrint is imported lazily so that a machine
without its system libraries still runs everything else, and says clearly what is missing.

What never changes in a process is made once: WeasyPrint's font configuration (a new one per render opens the
fonts again) and the report's parsed stylesheet. pdf_warm_up() makes them and renders a made-up report
when a worker process starts (screening.tasks), so that no screening's PDF waits for the first render of a
process (about 0.8 s).
"""

from __future__ import annotations

import logging
import mimetypes
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from .presentation import report_context

log = logging.getLogger(__name__)
REPORT_STYLESHEET = "static:css/report-print.css"


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


@dataclass(frozen=True)
class _Renderer:
    weasyprint: Any
    font_config: Any  # weasyprint.text.fonts.FontConfiguration
    report_stylesheet: Any  # weasyprint.CSS


_renderer: _Renderer | None = None
# WeasyPrint's font configuration wraps a Pango font map, which is not safe to share between threads
# rendering at once: renders in one process take turns (a worker child renders one PDF at a time anyway).
_lock = threading.Lock()


def _ready() -> _Renderer:
    """The process's renderer, made on first use (call with _lock held)."""
    global _renderer
    weasyprint = _weasyprint()
    if _renderer is None or _renderer.weasyprint is not weasyprint:
        font_config = weasyprint.text.fonts.FontConfiguration()  # loaded with the package
        stylesheet = weasyprint.CSS(
            url=REPORT_STYLESHEET, url_fetcher=_static_only_fetcher(weasyprint), font_config=font_config
        )
        _renderer = _Renderer(weasyprint, font_config, stylesheet)
    return _renderer


def html_to_pdf(html: str, *, report_stylesheet: bool = False) -> bytes:
    """`report_stylesheet`: the consult report's print stylesheet, parsed once per process."""
    with _lock:
        renderer = _ready()
        weasyprint = renderer.weasyprint
        return weasyprint.HTML(
            string=html, base_url="static:/", url_fetcher=_static_only_fetcher(weasyprint)
        ).write_pdf(
            font_config=renderer.font_config,
            stylesheets=[renderer.report_stylesheet] if report_stylesheet else None,
            pdf_tags=True,  # a tagged PDF: headings, tables and reading order for a screen reader
        )


def render_report_pdf(*, report: dict, intake: dict, review=None, screening=None) -> bytes:
    context = report_context(report=report, intake=intake, review=review)
    context["screening"] = screening
    return html_to_pdf(render_to_string("screening/report_pdf.html", context), report_stylesheet=True)


def render_screening_pdf(screening, *, review) -> bytes:
    """The consult PDF of a stored screening: its snapshot and its review state (selectors.ReviewState),
    passed in (this module turns a context into bytes and queries nothing)."""
    return render_report_pdf(
        report=screening.report, intake=screening.intake, review=review, screening=screening
    )


# A made-up consult report (ketamine-screening/1 and its intake snapshot) that uses every font and kind of
# element a real one does: warming up with it makes the template, the stylesheet, the fonts and the chart
# ready as a real report needs them. No one's data.
_FINDING = {"title": "Warm-up finding", "action": "None.", "sources": ["S2", "A1"], "evidence": "120/80 mmHg"}
WARM_UP_REPORT = {
    "format": "ketamine-screening/1",
    "verdict": "clinician_review",
    "assessed_on": "2026-01-02",
    "patient": {"mrn": "WARM-UP", "name": "Warm Up", "age": 40},
    "findings": [
        {**_FINDING, "rule": "WARM-REVIEW", "severity": "review"},
        {**_FINDING, "rule": "WARM-PRECAUTION", "severity": "precaution"},
        {**_FINDING, "rule": "WARM-INFO", "severity": "info"},
    ],
    "medications": [
        {
            "name": name,
            "generic": name,
            "atc": "N06AB06",
            "classes": ["ssri"],
            "daily_mg": 50.0,
            "diazepam_eq_mg": None,
            "rules": ["WARM-INFO"],
        }
        for name in ("sertraline", "Zoloft")
    ],
    "blood_pressure": {"day": "2026-01-02", "readings": 2, "systolic": 121, "diastolic": 79.5},
    "dose": {"low_mg": 35.0, "high_mg": 70.0, "minutes": [40, 60], "sources": ["S4"], "weight_kg": 70.0},
    "checklist": [{"text": "Warm-up item.", "sources": ["A4"]}],
    "ruleset": {"version": "warm-up", "sha256": "0" * 64},
    "engine": {"version": "warm-up"},
    "formulary": {"version": 1, "sha256": "0" * 64},
}
WARM_UP_INTAKE = {
    "patient": {"date_of_birth": "1985-01-01", "sex_at_birth": "female", "weight_kg": 70.0},
    "medications": {"reconciled": True, "items": []},
    "blood_pressure": [
        {"taken_at": f"2026-01-0{day}T09:00:00+00:00", "systolic": 120 + day, "diastolic": 80 - day}
        for day in (1, 2, 2)
    ],
}


def pdf_preload() -> bool:
    """Import WeasyPrint and its libraries without rendering anything (nothing it makes holds fonts yet), so
    that a worker's main process can do it once before its pool forks. False when PDFs cannot be made here."""
    try:
        _weasyprint()
    except PdfUnavailable:
        return False
    return True


def pdf_warm_up() -> float | None:
    """Make the renderer and render WARM_UP_REPORT once; the seconds it took, or None when PDFs cannot be
    made here (WeasyPrint or its libraries missing: each render then says so). Never raises: a worker
    that cannot warm up still starts, and pays for the first render later."""
    started = time.perf_counter()
    try:
        render_report_pdf(report=WARM_UP_REPORT, intake=WARM_UP_INTAKE)
    except PdfUnavailable as exc:
        log.warning("PDF renderer not warmed up: %s", exc)
        return None
    except Exception:
        log.exception("PDF renderer warm-up failed")
        return None
    seconds = time.perf_counter() - started
    log.info("PDF renderer warmed up in %.2f s", seconds)
    return seconds
