"""Hostile prefetches through the CDS Hooks service, in process: a valid EHR record with a few of its values
deleted, replaced by other JSON, duplicated or nulled. Each call is refused by path (400: the call's shape),
refused for a required prefetch it lacks (412), or answered with cards CDS Hooks accepts, never an error,
and nothing is stored. Seeded, so a failure names
the seed that reproduces it: `mutated_call(seed)`."""

import copy
import random
from collections import Counter
from typing import Any

import pytest
from pydantic import ValidationError

from interop.cds_hooks.prefetch import REQUIRED, PrefetchMissing
from interop.cds_hooks.schemas import Cards, HookCall
from interop.cds_hooks.service import patient_view
from patients.models import Patient
from screening.models import Screening
from tests.defaults_snapshot import load_defaults_for_test

from .cds_hooks_support import HOST, example, hook_call, prefetch

pytestmark = pytest.mark.django_db
CALLS = 400
EXAMPLES = ("eligible", "deferred-bp-and-benzodiazepine", "contraindicated-avm", "needs-information")


def _json(rng: random.Random, depth: int = 0) -> Any:
    choices = [None, True, 0, -1, 10**30, 1.5, "", "x" * rng.randint(1, 300), "2026-13-45", "Patient/other"]
    if depth < 2:
        choices += [[], {}, [_json(rng, depth + 1)], {"resourceType": "Patient", "id": _json(rng, depth + 1)}]
    return copy.deepcopy(rng.choice(choices))


def _places(node: Any, path: tuple = ()) -> list[tuple]:
    found = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        found.append((*path, key))
        found += _places(child, (*path, key))
    return found


def mutated_call(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    body = hook_call(prefetch(example(EXAMPLES[seed % len(EXAMPLES)]), questionnaire=seed % 3 != 0))
    for _ in range(rng.randint(1, 3)):
        places = _places(body["prefetch"])
        *parent_path, key = rng.choice(places)
        parent = body["prefetch"]
        for part in parent_path:
            parent = parent[part]
        action = rng.choice(("delete", "replace", "replace", "null", "duplicate"))
        if action == "delete":
            del parent[key]
        elif action == "null":
            parent[key] = None
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
        else:
            parent[key] = _json(rng)
    return body


def test_every_hostile_prefetch_is_refused_by_path_or_answered_with_cards(on_assessment_day):
    load_defaults_for_test()
    seen = Counter()
    for seed in range(CALLS):
        body = mutated_call(seed)
        try:
            call = HookCall.model_validate(body)
        except ValidationError as exc:
            assert all(error["loc"] for error in exc.errors()), f"seed {seed}: a refusal without a path"
            seen["refused"] += 1
            continue
        try:
            answer = patient_view(call, base_url=HOST)
        except PrefetchMissing as exc:
            assert exc.keys and set(exc.keys) <= set(REQUIRED), f"seed {seed}"
            seen["412"] += 1
            continue
        cards = Cards.model_validate({"cards": answer.cards}).cards
        assert cards, f"seed {seed}: no card"
        seen[
            "could not run" if cards[0].summary.endswith("could not run: see the details") else "screened"
        ] += 1
    print(f"\n{CALLS} hostile prefetches: {dict(seen)}")
    assert Patient.objects.count() == 0 and Screening.objects.count() == 0
    assert seen["screened"] >= 40 and seen["could not run"] >= 40
