"""2,000 hostile intake documents through the reader, the validator and the import, in process: each is
refused with problems that name a path (nothing stored), or stored and shown (page and export answer 200).
Seeded, so a failure names the seed that reproduces it: `mutated_document(seed)`."""

from collections import Counter

import pytest
from django.db import transaction
from django.urls import reverse

from core.documents import DocumentUnreadable, parse_json
from patients.models import Patient
from patients.services import intake_import
from screening.intake import IntakeInvalid, validate_intake

from .mutations import mutated_document

pytestmark = pytest.mark.django_db
DOCUMENTS = 2000


def outcome(raw: bytes) -> tuple[str, list[tuple[str, str]], Patient | None]:
    """("unreadable" | "invalid" | "stored", the problems as (path, message), the stored patient)."""
    try:
        doc = parse_json(raw)
    except DocumentUnreadable as exc:
        return "unreadable", [(exc.path, exc.message)], None
    try:
        validate_intake(doc)
        with transaction.atomic():
            patient, _ = intake_import(doc=doc)
    except IntakeInvalid as exc:
        return "invalid", [(p.path, p.message) for p in exc.problems], None
    return "stored", [], patient


def test_every_mutated_document_is_refused_by_path_or_stored_and_shown(clinician_client, defaults):
    seen, rendered = Counter(), set()
    for seed in range(DOCUMENTS):
        before = Patient.objects.count()
        kind, problems, patient = outcome(mutated_document(seed))
        seen[kind] += 1
        if kind != "stored":
            assert problems, f"seed {seed}: a rejection without problems"
            assert all(path and message for path, message in problems), f"seed {seed}: {problems}"
            assert Patient.objects.count() == before, f"seed {seed}: stored although refused"
        elif patient.pk not in rendered or seed % 10 == 0:  # every record once, updates now and then
            rendered.add(patient.pk)
            for name in ("detail", "export", "history"):
                response = clinician_client.get(reverse(f"patients:{name}", kwargs={"pk": patient.pk}))
                assert response.status_code == 200, f"seed {seed}: {name} answered {response.status_code}"
    print(f"\n{DOCUMENTS} mutated documents: {dict(seen)}; {len(rendered)} records rendered")
    assert seen["stored"] >= 200 and seen["invalid"] >= 200 and seen["unreadable"] >= 200
