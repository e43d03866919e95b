"""The review workflow through the API. Physicians decide: they set findings aside as each rule's override
setting allows (none, a reason, or a reason and a second physician's co-signature), co-sign, and record the
decision once (cleared, only on an eligible, current screening with every co-signature given, or
not_cleared, on any). Clinicians may only suggest an override, which is never in force. A wrong role is
403; a refusal by the record's state is 409 with the words the page shows."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from api.auth import FORBIDDEN
from core.roles import PHYSICIAN
from patients.models import BloodPressureReading
from screening.models import FindingOverride, OverrideSuggestion, Screening, SignOff
from screening.services import screening_run

from .conftest import AS_OF, changed, example

# The examples are of AS_OF: on that day their screenings are current, so a clearance is possible.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_assessment_day")]

REASON = "Imaging shows no AVM"
NOTE = "Outside imaging from 2025 shows no AVM; could this be set aside?"


def sid(screening) -> int:
    return screening if isinstance(screening, int) else screening.pk


def override(api, screening, rule, reason=REASON, **extra):
    return api.post(f"/screenings/{sid(screening)}/overrides", {"rule": rule, "reason": reason, **extra})


def cosign(api, screening, override_id):
    return api.post(f"/screenings/{sid(screening)}/overrides/{override_id}/cosign")


def signoff(api, screening, decision, note=""):
    return api.post(f"/screenings/{sid(screening)}/signoff", {"decision": decision, "note": note})


def suggest(api, screening, rule, note=NOTE):
    return api.post(f"/screenings/{sid(screening)}/suggestions", {"rule": rule, "note": note})


def read(api, screening) -> dict:
    return api.get(f"/screenings/{sid(screening)}").json()


@pytest.fixture
def screened(clinician_api, defaults):
    """screened(doc): the document stored and screened by a clinician through the API: the screening's id."""

    def screen(doc: dict) -> int:
        patient_id = clinician_api.post("/intakes", doc).json()["patient_id"]
        response = clinician_api.post(f"/patients/{patient_id}/screenings")
        assert response.status_code == 201, response.content
        return response.json()["id"]

    return screen


@pytest.fixture
def screening_of(import_example, clinician):
    """screening_of(name): a screening of the example, as of its assessment date."""
    return lambda name: screening_run(patient=import_example(name), requested_by=clinician, as_of=AS_OF)


# ---------------------------------------------------------------------------------------------- overrides


def test_overriding_a_finding_is_201_and_in_force_at_once(physician_api, deferred_screening):
    response = override(physician_api, deferred_screening, "BP-STAGE2", "Repeat BP 132/84 after rest")
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == FindingOverride.objects.get().pk
    assert (body["rule"], body["severity"], body["reason"], body["reason_code"]) == (
        "BP-STAGE2",
        "defer",
        "Repeat BP 132/84 after rest",
        None,
    )
    assert (body["overridden_by"], body["needs_cosign"], body["in_force"]) == ("doc1", False, True)


def test_an_override_in_force_changes_the_effective_verdict_only(physician_api, deferred_screening):
    override(physician_api, deferred_screening, "BP-STAGE2")
    body = read(physician_api, deferred_screening)
    assert (body["verdict"], body["effective_verdict"]) == ("deferred", "eligible_with_precautions")
    assert [o["rule"] for o in body["overrides"]] == ["BP-STAGE2"]


# The record refuses these (409 on the API); a blank rule never reaches the record through the API (400 by
# path, test_guards.py), while the page shows the service's words for a blank reason.
REFUSED_OVERRIDES = [
    ("BP-STAGE2", REASON, "BP-STAGE2 is not a finding of this screening."),
    ("MEDS-COMPATIBLE", REASON, "MEDS-COMPATIBLE is for information only: there is nothing to override."),
]
PAGE_REFUSALS = [
    ("CV-AVM", "", "An override reason is required."),
    ("CV-AVM", "   ", "An override reason is required."),
    *REFUSED_OVERRIDES,
]


@pytest.mark.parametrize(("rule", "reason", "message"), REFUSED_OVERRIDES)
def test_a_refused_override_is_409_with_the_reason(physician_api, avm_screening, rule, reason, message):
    response = override(physician_api, avm_screening, rule, reason)
    assert response.status_code == 409
    assert response.json()["error"] == message


@pytest.mark.parametrize(("rule", "reason", "message"), REFUSED_OVERRIDES)
def test_a_refused_override_stores_nothing(physician_api, avm_screening, rule, reason, message):
    override(physician_api, avm_screening, rule, reason)
    assert FindingOverride.objects.count() == 0


@pytest.mark.parametrize(("rule", "reason", "message"), PAGE_REFUSALS)
def test_the_page_refuses_the_same_override_in_the_same_words(
    physician_client, avm_screening, rule, reason, message
):
    page = physician_client.post(
        reverse("screening:override", args=[avm_screening.pk]), {"rule": rule, "reason": reason}, follow=True
    )
    assert message in page.content.decode()
    assert FindingOverride.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [{"rule": "CV-AVM"}, {"rule": "CV-AVM", "reason": ""}, {"rule": "CV-AVM", "reason": " \t "}],
    ids=["no reason", "empty reason", "blank reason"],
)
def test_an_override_without_a_reason_or_a_reason_code_is_409(physician_api, avm_screening, body):
    response = physician_api.post(f"/screenings/{avm_screening.pk}/overrides", body)
    assert (response.status_code, response.json()["error"]) == (409, "An override reason is required.")
    assert FindingOverride.objects.count() == 0


def test_a_reason_code_the_rule_does_not_offer_is_409(physician_api, deferred_screening):
    response = override(physician_api, deferred_screening, "BP-STAGE2", "", reason_code="NO-SUCH-REASON")
    assert response.status_code == 409
    assert response.json()["error"].startswith("'NO-SUCH-REASON' is not a reason BP-STAGE2 offers")
    assert FindingOverride.objects.count() == 0


def test_a_finding_is_overridden_once(physician_api, physician2_api, deferred_screening):
    override(physician_api, deferred_screening, "BP-STAGE2")
    response = override(physician2_api, deferred_screening, "BP-STAGE2")
    assert response.status_code == 409
    assert response.json()["error"] == "BP-STAGE2 is already overridden."


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"rule": "CV-AVM", "reason": "x" * 1001}, "reason"),
        ({"rule": "CV-AVM", "reason": "no\u0000AVM"}, "reason"),
        ({"rule": "CV-AVM", "reason": "no\ud800AVM"}, "reason"),
        ({"rule": "CV-AVM", "reason": REASON, "reason_code": "X" * 41}, "reason_code"),
        ({"reason": REASON}, "rule"),
        ({"rule": "X" * 41, "reason": REASON}, "rule"),
        ({"rule": 7, "reason": REASON}, "rule"),
    ],
    ids=["long reason", "NUL", "lone surrogate", "long reason code", "no rule", "long rule", "rule not text"],
)
def test_a_malformed_override_is_400_at_its_field(physician_api, avm_screening, body, path):
    response = physician_api.post(f"/screenings/{avm_screening.pk}/overrides", body)
    assert response.status_code == 400
    assert path in [e["path"] for e in response.json()["errors"]]


@pytest.mark.parametrize("body", ["{", "[]", "null"])
def test_an_override_body_that_is_not_an_object_is_400_at_the_document(physician_api, avm_screening, body):
    response = physician_api.post(f"/screenings/{avm_screening.pk}/overrides", body=body)
    assert response.status_code == 400
    assert "errors" in response.json()


def test_overriding_an_unknown_screening_is_404(physician_api, defaults):
    response = physician_api.post("/screenings/999999/overrides", {"rule": "CV-AVM", "reason": REASON})
    assert response.status_code == 404


# ---------------------------------------------------------------------------------------------- each rule's setting

# (the intake, a finding of it whose rule allows no override by its severity's default, the refusal)
NOT_OVERRIDABLE = [
    (
        lambda: example("needs-information"),
        "PREG-UNKNOWN",
        "PREG-UNKNOWN says data is missing: supply it and screen again (a guess is not data).",
    ),
    (
        lambda: without("eligible", ("patient", "weight_kg")),
        "DATA-NO-WEIGHT",
        "DATA-NO-WEIGHT says data is missing: supply it and screen again (a guess is not data).",
    ),
    (
        lambda: changed("eligible", ("patient", "date_of_birth"), "2010-06-01"),
        "AGE-UNDER-18",
        "AGE-UNDER-18 puts the patient outside the protocol: not cleared under it.",
    ),
    (
        lambda: example("contraindicated-avm"),
        "MEDS-COMPATIBLE",
        "MEDS-COMPATIBLE is for information only: there is nothing to override.",
    ),
    (
        lambda: example("deferred-bp-and-benzodiazepine"),
        "MEDS-BENZO-HIGH",
        "MEDS-BENZO-HIGH is a precaution: it is followed, and acknowledged when the screening is cleared.",
    ),
    (
        lambda: changed("eligible", ("patient", "pregnancy"), "pregnant"),
        "PREG-PREGNANT",
        "PREG-PREGNANT is an absolute contraindication that is never set aside.",
    ),
]


def without(name: str, path: tuple) -> dict:
    """The example with one key removed (an answer left unknown)."""
    doc = example(name)
    target = doc
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return doc


@pytest.mark.parametrize(
    ("doc", "rule", "message"),
    NOT_OVERRIDABLE,
    ids=["missing", "missing weight", "not_candidate", "info", "precaution", "pregnant"],
)
def test_a_finding_whose_rule_allows_no_override_is_409(physician_api, screened, doc, rule, message):
    screening_id = screened(doc())
    assert rule in [f["rule"] for f in read(physician_api, screening_id)["report"]["findings"]]

    response = override(physician_api, screening_id, rule)

    assert (response.status_code, response.json()["error"]) == (409, message)
    assert FindingOverride.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "policy"),
    [
        ("contraindicated-avm", {"CV-AVM": "cosign", "MEDS-COMPATIBLE": "none"}),
        (
            "deferred-bp-and-benzodiazepine",
            {
                "BP-STAGE2": "reason",
                "MEDS-BENZO-HIGH": "none",
                "MEDS-LAMOTRIGINE": "none",
                "MEDS-CNS-DEPRESSANT": "none",
            },
        ),
        (
            "needs-information",
            {"PREG-UNKNOWN": "none", "MEDS-NOT-RECONCILED": "none", "MEDS-COMPATIBLE": "none"},
        ),
    ],
)
def test_the_screening_says_what_a_physician_may_do_with_each_finding(staff_api, screening_of, name, policy):
    assert read(staff_api, screening_of(name))["override_policy"] == policy


def test_a_defer_finding_is_set_aside_with_a_reason_alone(physician_api, deferred_screening):
    body = override(physician_api, deferred_screening, "BP-STAGE2").json()
    assert (body["severity"], body["needs_cosign"], body["in_force"]) == ("defer", False, True)
    assert read(physician_api, deferred_screening)["effective_verdict"] == "eligible_with_precautions"


# ---------------------------------------------------------------------------------------------- co-signature


@pytest.fixture
def avm_overridden(physician_api, avm_screening):
    """CV-AVM (a contraindication) overridden by `physician` through the API: the override's JSON."""
    return override(physician_api, avm_screening, "CV-AVM").json()


def test_a_contraindication_override_waits_for_a_co_signature(avm_overridden):
    assert (avm_overridden["needs_cosign"], avm_overridden["in_force"]) == (True, False)
    assert avm_overridden["cosigned_by"] is None


def test_until_co_signed_the_contraindication_stands(physician_api, avm_screening, avm_overridden):
    body = read(physician_api, avm_screening)
    assert (body["verdict"], body["effective_verdict"]) == ("contraindicated", "contraindicated")


def test_the_overriding_physician_cannot_co_sign(physician_api, avm_screening, avm_overridden):
    response = cosign(physician_api, avm_screening, avm_overridden["id"])
    assert response.status_code == 409
    assert response.json()["error"] == "A co-signature must come from a second, different physician."
    assert FindingOverride.objects.get().cosigned_at is None


def test_a_second_physician_co_signs(physician2_api, avm_screening, avm_overridden):
    response = cosign(physician2_api, avm_screening, avm_overridden["id"])
    assert response.status_code == 201
    assert (response.json()["cosigned_by"], response.json()["in_force"]) == ("doc2", True)
    assert response.json()["cosigned_at"] is not None


def test_once_co_signed_the_override_is_in_force(
    physician_api, physician2_api, avm_screening, avm_overridden
):
    cosign(physician2_api, avm_screening, avm_overridden["id"])
    assert read(physician_api, avm_screening)["effective_verdict"] == "eligible"


def test_an_override_is_co_signed_once(api_as, make_user, physician2_api, avm_screening, avm_overridden):
    cosign(physician2_api, avm_screening, avm_overridden["id"])
    response = cosign(api_as(make_user("doc3", PHYSICIAN)), avm_screening, avm_overridden["id"])
    assert response.status_code == 409
    assert response.json()["error"] == "This override needs no (further) co-signature."
    assert FindingOverride.objects.get().cosigned_by_name == "doc2"


def test_an_override_that_needs_no_co_signature_cannot_be_co_signed(
    physician_api, physician2_api, deferred_screening
):
    override_id = override(physician_api, deferred_screening, "BP-STAGE2").json()["id"]
    response = cosign(physician2_api, deferred_screening, override_id)
    assert response.status_code == 409
    assert response.json()["error"] == "This override needs no (further) co-signature."


def test_co_signing_an_override_of_another_screening_is_404(
    physician2_api, deferred_screening, avm_overridden
):
    assert cosign(physician2_api, deferred_screening, avm_overridden["id"]).status_code == 404


# ---------------------------------------------------------------------------------------------- clinicians

# A clinician's attempt at a physician's act, on the AVM screening whose CV-AVM override by `physician2`
# waits for a co-signature.
PHYSICIANS_ACTS = {
    "override": lambda api, o: override(api, o.screening_id, "CV-AVM"),
    "co-sign": lambda api, o: cosign(api, o.screening_id, o.pk),
    "clear": lambda api, o: signoff(api, o.screening_id, "cleared"),
    "not clear": lambda api, o: signoff(api, o.screening_id, "not_cleared"),
}


@pytest.mark.parametrize("act", list(PHYSICIANS_ACTS))
def test_a_clinician_may_not_override_co_sign_or_sign(clinician_api, avm_override, act):
    response = PHYSICIANS_ACTS[act](clinician_api, avm_override)
    assert (response.status_code, response.json()) == (403, {"error": FORBIDDEN})


@pytest.mark.parametrize("act", list(PHYSICIANS_ACTS))
def test_a_clinicians_refused_act_changes_nothing(clinician_api, avm_override, act):
    PHYSICIANS_ACTS[act](clinician_api, avm_override)
    assert [(o.rule, o.cosigned_at) for o in FindingOverride.objects.all()] == [("CV-AVM", None)]
    assert not SignOff.objects.exists()


@pytest.mark.parametrize(
    ("view", "data", "message"),
    [
        (
            "screening:override",
            {"rule": "CV-AVM", "reason": REASON},
            "Only a physician can override a finding; a clinician may suggest an override in a note.",
        ),
        (
            "screening:sign",
            {"decision": "not_cleared"},
            "Only a physician can sign a screening; a clinician may suggest an override in a note.",
        ),
    ],
    ids=["override", "sign"],
)
def test_the_page_refuses_a_clinician_in_the_services_words(
    clinician_client, avm_screening, view, data, message
):
    page = clinician_client.post(reverse(view, args=[avm_screening.pk]), data, follow=True)
    assert message in page.content.decode()
    assert not FindingOverride.objects.exists() and not SignOff.objects.exists()


def test_a_clinician_suggests_an_override(clinician_api, avm_screening):
    response = suggest(clinician_api, avm_screening, "CV-AVM")
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == OverrideSuggestion.objects.get().pk
    assert (body["rule"], body["note"], body["suggested_by"]) == ("CV-AVM", NOTE, "clin")


def test_a_suggestion_is_shown_with_the_screening_and_is_never_in_force(clinician_api, avm_screening):
    suggest(clinician_api, avm_screening, "CV-AVM")
    body = read(clinician_api, avm_screening)
    assert [(s["rule"], s["note"], s["suggested_by"]) for s in body["suggestions"]] == [
        ("CV-AVM", NOTE, "clin")
    ]
    assert (body["effective_verdict"], body["overrides"], body["decision"]) == ("contraindicated", [], None)


def test_a_suggestion_does_not_let_a_physician_clear(clinician_api, physician_api, avm_screening):
    suggest(clinician_api, avm_screening, "CV-AVM")
    response = signoff(physician_api, avm_screening, "cleared")
    assert (response.status_code, response.json()["error"]) == (
        409,
        "Cannot clear: the effective verdict is contraindicated.",
    )


def test_a_suggestion_on_a_rule_that_is_not_a_finding_is_409(clinician_api, avm_screening):
    response = suggest(clinician_api, avm_screening, "BP-STAGE2")
    assert (response.status_code, response.json()["error"]) == (
        409,
        "BP-STAGE2 is not a finding of this screening.",
    )
    assert not OverrideSuggestion.objects.exists()


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"rule": "CV-AVM"}, "note"),
        ({"rule": "CV-AVM", "note": "   "}, "note"),
        ({"rule": "CV-AVM", "note": "x" * 1001}, "note"),
        ({"note": NOTE}, "rule"),
    ],
    ids=["no note", "blank note", "long note", "no rule"],
)
def test_a_malformed_suggestion_is_400_at_its_field(clinician_api, avm_screening, body, path):
    response = clinician_api.post(f"/screenings/{avm_screening.pk}/suggestions", body)
    assert response.status_code == 400
    assert path in [e["path"] for e in response.json()["errors"]]
    assert not OverrideSuggestion.objects.exists()


def test_report_staff_may_not_suggest(staff_api, avm_screening):
    assert suggest(staff_api, avm_screening, "CV-AVM").status_code == 403
    assert not OverrideSuggestion.objects.exists()


# ---------------------------------------------------------------------------------------------- sign-off


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("contraindicated-avm", "Cannot clear: the effective verdict is contraindicated."),
        ("deferred-bp-and-benzodiazepine", "Cannot clear: the effective verdict is deferred."),
        ("needs-information", "Cannot clear: the effective verdict is needs information."),
    ],
)
def test_clearing_is_refused_unless_the_effective_verdict_is_eligible(
    physician_api, screening_of, name, message
):
    response = signoff(physician_api, screening_of(name), "cleared")
    assert (response.status_code, response.json()["error"]) == (409, message)
    assert not SignOff.objects.exists()


def test_clearing_waits_for_the_co_signature_naming_the_rule(physician_api, avm_screening, avm_override):
    response = signoff(physician_api, avm_screening, "cleared")
    assert response.status_code == 409
    assert response.json()["error"] == (
        "Cannot clear: waiting for a second physician's co-signature on CV-AVM; "
        "the effective verdict is contraindicated."
    )
    assert not SignOff.objects.exists()


def test_a_screening_superseded_by_a_later_one_cannot_be_cleared(physician_api, screening_of, clinician):
    first = screening_of("eligible")
    later = screening_run(patient=first.patient, requested_by=clinician, as_of=AS_OF)
    response = signoff(physician_api, first, "cleared")
    assert (response.status_code, response.json()["error"]) == (
        409,
        f"Cannot clear: the screening is not current: a later screening (#{later.pk}) supersedes it.",
    )
    assert signoff(physician_api, later, "cleared").status_code == 201


@pytest.mark.parametrize(
    ("name", "verdict"),
    [
        ("contraindicated-avm", "contraindicated"),
        ("deferred-bp-and-benzodiazepine", "deferred"),
        ("needs-information", "needs_information"),
        ("eligible", "eligible"),
    ],
)
def test_not_cleared_is_recorded_on_any_screening(physician_api, screening_of, name, verdict):
    response = signoff(physician_api, screening_of(name), "not_cleared", "Referred back to the psychiatrist")
    assert response.status_code == 201
    body = response.json()
    assert (body["decision"], body["note"], body["effective_verdict"], body["acknowledged"]) == (
        "not_cleared",
        "Referred back to the psychiatrist",
        verdict,
        [],
    )
    assert SignOff.objects.get().decision == "not_cleared"


def test_not_cleared_is_recorded_while_a_co_signature_is_pending(physician_api, avm_screening, avm_override):
    assert signoff(physician_api, avm_screening, "not_cleared").status_code == 201
    assert read(physician_api, avm_screening)["decision"] == "not_cleared"


def test_an_eligible_screening_is_cleared_at_once(physician_api, screening_of):
    screening = screening_of("eligible")
    response = signoff(physician_api, screening, "cleared")
    assert response.status_code == 201
    assert (response.json()["decision"], response.json()["effective_verdict"]) == ("cleared", "eligible")


def test_clearing_acknowledges_the_precautions_that_stand(physician_api, deferred_screening):
    override(physician_api, deferred_screening, "BP-STAGE2", "Repeat BP 132/84 after rest")
    body = signoff(physician_api, deferred_screening, "cleared").json()
    assert (body["decision"], body["effective_verdict"]) == ("cleared", "eligible_with_precautions")
    assert set(body["acknowledged"]) == {"MEDS-BENZO-HIGH", "MEDS-LAMOTRIGINE", "MEDS-CNS-DEPRESSANT"}


@pytest.fixture
def co_signed(physician2_api, avm_screening, avm_overridden):
    return cosign(physician2_api, avm_screening, avm_overridden["id"]).json()


def test_after_the_co_signature_the_screening_is_cleared(physician_api, avm_screening, co_signed):
    response = signoff(physician_api, avm_screening, "cleared", "Proceed with the series")
    assert response.status_code == 201
    body = response.json()
    assert body["id"] == SignOff.objects.get(screening=avm_screening).pk
    assert (body["signed_by"], body["decision"], body["note"]) == (
        "doc1",
        "cleared",
        "Proceed with the series",
    )
    assert (body["effective_verdict"], body["acknowledged"]) == ("eligible", [])


@pytest.fixture
def signed(physician_api, avm_screening, co_signed):
    return signoff(physician_api, avm_screening, "cleared").json()


def test_a_cleared_screening_reads_cleared_and_current(staff_api, avm_screening, signed):
    body = read(staff_api, avm_screening)
    assert body["signoff"] == signed
    assert (body["verdict"], body["effective_verdict"], body["decision"]) == (
        "contraindicated",
        "eligible",
        "cleared",
    )
    assert (body["current"], body["not_current_reasons"]) == (True, [])
    assert [(o["rule"], o["overridden_by"], o["cosigned_by"]) for o in body["overrides"]] == [
        ("CV-AVM", "doc1", "doc2")
    ]


def test_after_signing_no_finding_can_be_overridden(physician_api, avm_screening, signed):
    response = override(physician_api, avm_screening, "CV-AVM")
    assert response.status_code == 409
    assert response.json()["error"] == "This screening is signed: its findings can no longer be overridden."


def test_after_signing_no_override_is_suggested(clinician_api, avm_screening, signed):
    response = suggest(clinician_api, avm_screening, "CV-AVM")
    assert (response.status_code, response.json()["error"]) == (
        409,
        "This screening is signed: suggestions are closed.",
    )


@pytest.mark.parametrize("decision", ["cleared", "not_cleared"])
def test_a_screening_is_signed_once(physician2_api, avm_screening, signed, decision):
    response = signoff(physician2_api, avm_screening, decision)
    assert response.status_code == 409
    assert response.json()["error"] == "This screening is already signed."
    assert [(s.decision, s.signer_name) for s in SignOff.objects.all()] == [("cleared", "doc1")]


def test_after_signing_nothing_can_be_co_signed(physician_api, avm_screening, avm_override):
    signoff(physician_api, avm_screening, "not_cleared")
    response = cosign(physician_api, avm_screening, avm_override.pk)
    assert response.status_code == 409
    assert response.json()["error"] == "This screening is signed already."
    assert FindingOverride.objects.get().cosigned_at is None


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, "decision"),
        ({"note": "Proceed"}, "decision"),
        ({"decision": "approved"}, "decision"),
        ({"decision": None}, "decision"),
        ({"decision": "cleared", "note": "x" * 2001}, "note"),
        ({"decision": "not_cleared", "note": "no\u0000te"}, "note"),
    ],
    ids=["empty", "no decision", "unknown decision", "null decision", "long note", "NUL in note"],
)
def test_a_sign_off_without_a_valid_decision_is_400_at_its_field(physician_api, screening_of, body, path):
    response = physician_api.post(f"/screenings/{screening_of('eligible').pk}/signoff", body)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert path in [e["path"] for e in response.json()["errors"]]
    assert not SignOff.objects.exists()


@pytest.mark.parametrize("body", ["", "{", "[]", "null"])
def test_a_sign_off_body_that_is_not_an_object_is_400(physician_api, deferred_screening, body):
    response = physician_api.post(f"/screenings/{deferred_screening.pk}/signoff", body=body)
    assert response.status_code == 400
    assert "errors" in response.json()
    assert not SignOff.objects.exists()


def test_signing_an_unknown_screening_is_404(physician_api, defaults):
    assert physician_api.post("/screenings/999999/signoff", {"decision": "not_cleared"}).status_code == 404


# ---------------------------------------------------------------------------------------------- currency


def test_a_blood_pressure_added_after_clearing_makes_the_screening_not_current(
    staff_api, avm_screening, signed
):
    assert read(staff_api, avm_screening)["current"] is True
    BloodPressureReading.objects.create(
        patient=avm_screening.patient,
        taken_at=datetime(2026, 11, 20, 17, 30, tzinfo=UTC),
        systolic=172,
        diastolic=104,
    )

    body = read(staff_api, avm_screening)

    assert body["current"] is False
    assert body["not_current_reasons"]
    assert body["not_current_reasons"][0].startswith("blood pressure added")
    assert body["decision"] == "cleared"  # the decision stands as recorded; the screening is what aged


def test_a_later_screening_makes_a_cleared_one_not_current(staff_api, clinician, avm_screening, signed):
    later = screening_run(patient=avm_screening.patient, requested_by=clinician, as_of=AS_OF)
    body = read(staff_api, avm_screening)
    assert (body["current"], body["not_current_reasons"]) == (
        False,
        [f"a later screening (#{later.pk}) supersedes it"],
    )
    assert Screening.objects.count() == 2


# ------------------------------------------------------------------------------ the consult checklist ticks


def test_the_checklist_ticks_are_kept_with_the_decision(physician_api, screening_of):
    screening = screening_of("eligible")
    items = len(screening.report["checklist"])
    assert items >= 3
    response = physician_api.post(
        f"/screenings/{sid(screening)}/signoff", {"decision": "cleared", "checklist": [2, 0]}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["checklist"] == [0, 2]
    assert SignOff.objects.get().checklist == [0, 2]
    assert physician_api.get(f"/screenings/{sid(screening)}").json()["signoff"]["checklist"] == [0, 2]


@pytest.mark.parametrize("ticks", [[99], [-1], [0, 0]])
def test_a_tick_that_names_no_item_or_repeats_is_refused_and_nothing_is_signed(
    physician_api, screening_of, ticks
):
    screening = screening_of("eligible")
    response = physician_api.post(
        f"/screenings/{sid(screening)}/signoff", {"decision": "cleared", "checklist": ticks}
    )
    assert response.status_code == 409, response.json()
    assert "checklist" in response.json()["error"].lower() or "ticked twice" in response.json()["error"]
    assert not SignOff.objects.exists()
