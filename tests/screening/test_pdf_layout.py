"""The consult PDF as a physician files it (issue 17, item 7): every page names the patient (name, MRN, date of
birth) and the screening and says "Page x of y"; no page is left holding a line or two; the sign-off, or the blank
lines for one on paper, stays on one page."""

import json
import shutil
import subprocess
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from patients.services import intake_import
from screening.review import screening_sign
from screening.services import screening_pdf_bytes, screening_run
from tests.conftest import EXAMPLES, service_unavailable
from tests.defaults_snapshot import load_defaults_for_test

# Enough to fill three pages and more: findings in four severities, a long medication table, a week of readings.
MEDICATIONS = [
    ("Klonopin", 1),
    ("lamotrigine", 200),
    ("memantine", 10),
    ("theophylline", 300),
    ("phenelzine", 15),
    ("modafinil", 100),
    ("oxycodone", 5),
    ("zolpidem", 5),
    ("pseudoephedrine", 60),
    ("sertraline", 50),
]
NEAR_EMPTY = 5  # a page with fewer lines of report than this, besides its header and footer, is near-empty


def long_intake(*, medications: int = len(MEDICATIONS), readings: int = 8) -> dict:
    doc = json.loads((EXAMPLES / "deferred-bp-and-benzodiazepine.json").read_text())
    doc["patient"].update(mrn="KT-0917", date_of_birth="1950-03-04")
    doc["psychiatric"].update(psychosis_history="yes", substance_use_disorder="in_remission")
    doc["cardiovascular"]["stable_coronary_disease"] = "yes"
    doc["other_medical"].update(glaucoma="yes", severe_sleep_apnea="yes", hepatic_impairment="moderate")
    doc["medications"]["items"] = [
        {"name": name, "dose_mg": dose, "times_per_day": 1, "as_needed": False}
        for name, dose in MEDICATIONS[:medications]
    ]
    doc["blood_pressure"] = [
        {
            "taken_at": f"2026-11-{14 + i // 2}T09:{10 + 6 * (i % 2)}:00-07:00",
            "systolic": 162 + i % 4,
            "diastolic": 100,
        }
        for i in range(readings)
    ]
    return doc


@pytest.fixture
def rules(db):
    load_defaults_for_test()


@pytest.fixture
def long_screening(rules, clinician):
    patient, _ = intake_import(doc=long_intake())
    return screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))


@pytest.fixture
def eligible_screening(rules, clinician):
    patient, _ = intake_import(doc=json.loads((EXAMPLES / "eligible.json").read_text()))
    return screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))


def pdf_pages(content: bytes, tmp_path: Path) -> list[str]:
    """The text of each page, laid out as printed (`pdftotext -layout`, one page at a time)."""
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    count = int(pdf_info(path)["Pages"])
    return [
        subprocess.run(
            ["pdftotext", "-f", str(n), "-l", str(n), "-layout", str(path), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for n in range(1, count + 1)
    ]


def pdf_info(path: Path) -> dict[str, str]:
    if shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        service_unavailable("pdftotext and pdfinfo (poppler-utils) are not installed")
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return {
        key.strip(): value.strip() for key, _, value in (line.partition(":") for line in out.splitlines())
    }


def lines(page: str) -> list[str]:
    """A page's printed lines, blank ones left out and runs of spaces made one."""
    return [" ".join(line.split()) for line in page.splitlines() if line.strip()]


def header(page: str) -> str:
    return lines(page)[0]


def footer(page: str) -> str:
    return lines(page)[-1]


def body(page: str) -> list[str]:
    return lines(page)[1:-1]


def pages_with(pages: list[str], text: str) -> list[int]:
    return [n for n, page in enumerate(pages, 1) if text in " ".join(lines(page))]


def test_every_page_names_the_patient_and_the_screening_and_counts_the_pages(long_screening, tmp_path):
    pages = pdf_pages(screening_pdf_bytes(long_screening), tmp_path)
    total = len(pages)

    assert total >= 3
    assert [header(page) for page in pages] == [
        f"Luis Romero · MRN KT-0917 · DOB 1950-03-04 Screening #{long_screening.pk} · assessed 2026-11-20"
    ] * total
    assert [footer(page) for page in pages] == [
        f"Decision support, not a substitute for clinical judgment Page {n} of {total}"
        for n in range(1, total + 1)
    ]


# With the stylesheet of before, 4 and 5 medications and two readings left a last page of 4 lines (references).
@pytest.mark.parametrize(("medications", "readings"), [(4, 2), (5, 2), (len(MEDICATIONS), 8)])
def test_no_page_is_left_near_empty(rules, clinician, physician, medications, readings, tmp_path):
    patient, _ = intake_import(doc=long_intake(medications=medications, readings=readings))
    screening = screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))
    unsigned = pdf_pages(screening_pdf_bytes(screening), tmp_path / "unsigned")
    screening_sign(screening=screening, user=physician, decision="not_cleared", note="Recheck BP first")
    signed = pdf_pages(screening_pdf_bytes(screening), tmp_path / "signed")

    assert [page for page in unsigned + signed if len(body(page)) < NEAR_EMPTY] == []


def test_the_sign_off_is_on_one_page(long_screening, physician, tmp_path):
    screening_sign(screening=long_screening, user=physician, decision="not_cleared", note="Recheck BP first")
    pages = pdf_pages(screening_pdf_bytes(long_screening), tmp_path)

    on_pages = [pages_with(pages, text) for text in ("Sign-off", "Signed by doc1", "Recheck BP first")]
    assert len(on_pages[0]) == 1
    assert on_pages == [on_pages[0]] * 3
    assert "Physician signature" not in "".join(pages)  # no blank lines for a screening signed in the system


def test_an_unsigned_report_ends_with_blank_lines_for_a_signature_on_paper(long_screening, tmp_path):
    pages = pdf_pages(screening_pdf_bytes(long_screening), tmp_path)

    labels = [line for line in body(pages[-1]) if "Physician signature" in line]
    assert labels == ["Physician signature (not signed in the system) Name Date and time"]
    assert body(pages[-1])[-1] == labels[0]  # last in the report, after the references
    assert pages_with(pages, "Physician signature") == [len(pages)]


def test_a_two_page_report_has_the_same_header_and_footer(eligible_screening, tmp_path):
    pages = pdf_pages(screening_pdf_bytes(eligible_screening), tmp_path)

    assert [header(page) for page in pages] == [
        f"Ana Silva · MRN KT-0001 · DOB 1984-03-02 Screening #{eligible_screening.pk} · assessed 2026-11-20"
    ] * 2
    assert [footer(page)[-11:] for page in pages] == ["Page 1 of 2", "Page 2 of 2"]
    assert [page for page in pages if len(body(page)) < NEAR_EMPTY] == []


def test_a_file_screened_from_the_command_line_names_the_patient_without_a_screening_number(rules, tmp_path):
    out = tmp_path / "out.pdf"
    call_command(
        "screen", str(EXAMPLES / "eligible.json"), "--pdf", str(out), stdout=StringIO(), stderr=StringIO()
    )
    pages = pdf_pages(out.read_bytes(), tmp_path)

    assert {header(page) for page in pages} == {
        "Ana Silva · MRN KT-0001 · DOB 1984-03-02 assessed 2026-11-20"
    }
    assert footer(pages[-1]).endswith(f"Page {len(pages)} of {len(pages)}")


def test_the_pdf_metadata_names_only_the_screening(long_screening, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(screening_pdf_bytes(long_screening))
    info = pdf_info(path)

    assert info["Title"] == f"Pre-infusion screening report #{long_screening.pk}"
    assert [
        value for value in info.values() if "Romero" in value or "KT-0917" in value or "1950" in value
    ] == []
