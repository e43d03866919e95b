"""1,000 hostile Bundles through the FHIR import, in process: each is refused with problems that name a
path (nothing stored), or stored with what it did not map listed. Never another exception. Seeded, so a
failure names the seed that reproduces it: `mutated_bundle(seed)`."""

from __future__ import annotations

import copy
import random
from collections import Counter
from typing import Any

import pytest
from django.db import transaction

from interop.fhir.read import FhirInvalid
from interop.services import fhir_import
from patients.models import Patient
from tests.defaults_snapshot import load_defaults_for_test

from .fhir_builders import EHR_MRN_SYSTEM, bundle, ehr_resources, questionnaires

pytestmark = pytest.mark.django_db
BUNDLES = 1000
VALUES: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    1.5,
    1e308,
    "",
    "x",
    "\x00",
    "\ud800",
    [],
    {},
    [1],
    {"a": 1},
    [{}],
    "Patient",
    "Bundle",
    "urn:uuid:1",
    "Patient/p2",
    "final",
    "active",
    "kg",
    "mm[Hg]",
    "MR",
    "2026-11-20",
    "2026",
    "2026-11-20T09:00:00Z",
    "2026-11-20T09:00:00",
    "9999-12-31T23:59:59-12:00",
    "0001-01-01",
    "F33.1",
    "f331",
    "F99.99",
    "http://loinc.org",
    "85354-9",
    "29463-7",
    "1" * 5000,
)


def nodes(value: Any, path: tuple = ()) -> list[tuple]:
    """Every place in the value: a path of keys and indexes."""
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += nodes(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += nodes(child, (*path, i))
    return found


def mutated_bundle(seed: int) -> Any:
    rng = random.Random(seed)
    value: Any = bundle([*ehr_resources(), *questionnaires()], rng.choice(["collection", "searchset"]))
    for _ in range(rng.randint(1, 4)):
        places = nodes(value)
        path = rng.choice(places)
        if not path:
            value = rng.choice(VALUES) if rng.random() < 0.05 else value
            continue
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        action = rng.random()
        if action < 0.3 and isinstance(parent, dict):
            del parent[path[-1]]
        elif action < 0.4 and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
        else:
            parent[path[-1]] = copy.deepcopy(rng.choice(VALUES))
    return value


@pytest.fixture(autouse=True)
def ehr_mrn_system(settings):
    settings.FHIR_MRN_SYSTEMS = [EHR_MRN_SYSTEM]


def test_every_mutated_bundle_is_refused_by_path_or_stored_with_its_unmapped_list(clinician):
    load_defaults_for_test()
    seen = Counter()
    for seed in range(BUNDLES):
        before = Patient.objects.count()
        try:
            with transaction.atomic():
                unmapped = fhir_import(bundle=mutated_bundle(seed), user=clinician).unmapped
        except FhirInvalid as exc:
            seen["refused"] += 1
            assert exc.problems, f"seed {seed}: a refusal without problems"
            assert all(p["path"] and p["message"] for p in exc.problems), f"seed {seed}: {exc.problems}"
            assert Patient.objects.count() == before, f"seed {seed}: stored although refused"
        else:
            seen["stored"] += 1
            assert all(item["path"] and item["message"] for item in unmapped), f"seed {seed}: {unmapped}"
    print(f"\n{BUNDLES} mutated Bundles: {dict(seen)}")
    assert seen["stored"] >= 100 and seen["refused"] >= 100
