"""The Patient, its Conditions and its MedicationStatements onto the intake (docs/fhir.md, the mapping).

Each reader adds what it maps to the Reading with the FHIR path it came from, lists what it cannot map
with the reason, and refuses (Reading.refuse) only what makes the whole input unusable (no MRN).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from screening.engine.vocabulary import SEX_AT_BIRTH, TEXT_MAX
from screening.intake import normalize_icd10

from . import codes
from .read_values import (
    Reading,
    codings,
    described,
    has_code,
    items,
    number,
    obj,
    single_code,
    text,
    ucum_value,
)

US_CORE_BIRTHSEX = {"F": "female", "M": "male", "UNK": "unknown"}
CLINICAL_STATUS = {
    "active": "active",
    "recurrence": "active",
    "relapse": "active",
    "remission": "in_remission",
    "inactive": "history",
    "resolved": "history",
}
SEVERITY = {code: name for name, code in codes.SEVERITY.items()}
NOT_A_DIAGNOSIS = ("refuted", "entered-in-error")
# MedicationStatement.status of a medication the patient takes or is about to take; the others (completed,
# stopped, not-taken, entered-in-error) are listed as not mapped
TAKEN = ("active", "intended", "on-hold", "unknown")
# MedicationRequest.status of a prescription the patient may be taking: never mapped (the intake lists what
# the patient takes: MedicationStatement), so the list read is incomplete and not reconciled
REQUESTED = ("active", "on-hold", "unknown")
NOT_THE_MRN = "not the MRN (not the product's MRN system nor one of FHIR_MRN_SYSTEMS); not read"


def read_patient(reading: Reading, resource: dict[str, Any], path: str) -> None:
    patient = reading.intake["patient"]
    mrn = _mrn(reading, resource, path)
    if mrn is not None:
        patient["mrn"], where = mrn
        reading.origin("patient.mrn", where)

    names = items(resource.get("name"))
    official = [i for i, name in enumerate(names) if obj(name).get("use") == "official"]
    index = official[0] if official else 0
    name = obj(names[index]) if names else {}
    name_path = f"{path}.name[{index}]" if names else f"{path}.name"
    given = items(name.get("given"))
    if given:
        patient["given_name"] = given[0]
    reading.origin("patient.given_name", f"{name_path}.given[0]" if given else name_path)
    if "family" in name:
        patient["family_name"] = name["family"]
    reading.origin("patient.family_name", f"{name_path}.family" if "family" in name else name_path)

    if "birthDate" in resource:
        patient["date_of_birth"] = resource["birthDate"]
    reading.origin("patient.date_of_birth", f"{path}.birthDate")
    _sex_at_birth(reading, resource, path)
    if "gender" in resource:
        reading.skip(f"{path}.gender", "Patient.gender: not read (administrative gender is not sex at birth)")


def _mrn(reading: Reading, resource: dict[str, Any], path: str) -> tuple[str, str] | None:
    """The MRN: the identifier in the product's MRN system, else the current identifier (`use` not `old`)
    in one of the systems settings.FHIR_MRN_SYSTEMS names (the clinic's EHR's MRN). An identifier typed MR
    in any other system (another hospital's record number) is not the MRN: listed. None (and the input
    refused) when there is none or two that differ: nothing is chosen by guess."""
    identifiers = [(i, obj(identifier)) for i, identifier in enumerate(items(resource.get("identifier")))]
    own = [(i, ident) for i, ident in identifiers if ident.get("system") == codes.MRN_SYSTEM]
    configured = [
        (i, ident)
        for i, ident in identifiers
        if ident.get("system") in settings.FHIR_MRN_SYSTEMS and ident.get("use") != "old"
    ]
    for i, ident in identifiers:
        system = ident.get("system")
        if has_code(ident.get("type"), codes.IDENTIFIER_TYPE, "MR") and not (
            system == codes.MRN_SYSTEM or system in settings.FHIR_MRN_SYSTEMS
        ):
            where = f"in {system[:80]}" if isinstance(system, str) else "without a system"
            reading.skip(f"{path}.identifier[{i}]", f"an identifier typed MR {where}: {NOT_THE_MRN}")
    candidates = own or configured
    values = {ident.get("value") for _, ident in candidates}
    if not candidates:
        reading.refuse(
            f"{path}.identifier",
            f"no MRN: an identifier with system {codes.MRN_SYSTEM}, or a current one in a system of "
            "FHIR_MRN_SYSTEMS, is required (an identifier typed MR in another system is another record's)",
        )
        return None
    if len(values) > 1:
        reading.refuse(
            f"{path}.identifier",
            f"{len(values)} different MRNs ({'system ' + codes.MRN_SYSTEM if own else 'FHIR_MRN_SYSTEMS'}): "
            "which one identifies the record cannot be told",
        )
        return None
    i, ident = candidates[0]
    return ident.get("value"), f"{path}.identifier[{i}].value"


def _sex_at_birth(reading: Reading, resource: dict[str, Any], path: str) -> None:
    """The product's own extension first (its exact value); US Core birthsex otherwise (its UNK cannot tell
    intersex from unknown, so it reads as unknown). An extension without a valid code is listed and the
    other read; the two disagreeing (male and F) leave sex at birth unknown, listed."""
    extensions = [(i, obj(ext)) for i, ext in enumerate(items(resource.get("extension")))]
    own = _extension_code(reading, extensions, path, codes.EXT_SEX_AT_BIRTH, "sex-at-birth", SEX_AT_BIRTH)
    us_core = _extension_code(
        reading, extensions, path, codes.US_CORE_BIRTHSEX, "us-core-birthsex", tuple(US_CORE_BIRTHSEX)
    )
    if own is not None and us_core is not None and codes.BIRTHSEX[own[1]] != us_core[1]:
        reading.skip(
            f"{path}.extension",
            f"sex-at-birth {own[1]} and us-core-birthsex {us_core[1]} disagree; sex at birth unknown",
        )
        return
    if own is not None:
        i, value = own
    elif us_core is not None:
        i, value = us_core[0], US_CORE_BIRTHSEX[us_core[1]]
    else:
        return
    reading.intake["patient"]["sex_at_birth"] = value
    reading.origin("patient.sex_at_birth", f"{path}.extension[{i}].valueCode")


def _extension_code(
    reading: Reading, extensions: list[tuple[int, dict]], path: str, url: str, name: str, valid: tuple
) -> tuple[int, str] | None:
    """The first extension of `url` with a valid valueCode, as (index, code); each one without a valid
    code, and each after the one read, is listed."""
    found = None
    for i, ext in extensions:
        if ext.get("url") != url:
            continue
        if found is not None:
            reading.skip(f"{path}.extension[{i}]", f"{name}: a second extension; only the first is read")
        elif ext.get("valueCode") in valid:
            found = (i, ext["valueCode"])
        else:
            reading.skip(f"{path}.extension[{i}]", f"{name}: no valueCode of {', '.join(valid)}; not read")
    return found


def read_condition(reading: Reading, resource: dict[str, Any], path: str) -> None:
    verification = single_code(resource.get("verificationStatus"), codes.CONDITION_VERIFICATION)
    if verification is not None and verification[1] in NOT_A_DIAGNOSIS:
        reading.skip(path, f"Condition: verificationStatus {verification[1]}: not a diagnosis, not mapped")
        return
    code = single_code(resource.get("code"), codes.ICD10CM)
    if code is None:
        several = len({found for _, found in codings(resource.get("code"), codes.ICD10CM)}) > 1
        reading.skip(
            path,
            "Condition: more than one ICD-10-CM code, which one is meant cannot be told; not mapped"
            if several
            else f"Condition: no ICD-10-CM code ({described(resource.get('code'))}); not mapped",
        )
        return
    clinical = single_code(resource.get("clinicalStatus"), codes.CONDITION_CLINICAL)
    if "clinicalStatus" in resource and (clinical is None or clinical[1] not in CLINICAL_STATUS):
        reading.skip(
            path,
            "Condition: clinicalStatus not active, recurrence, relapse, remission, "
            "inactive or resolved; not mapped",
        )
        return
    diagnoses = reading.intake["diagnoses"]
    at = f"diagnoses[{len(diagnoses)}]"
    diagnosis: dict[str, Any] = {"icd10": code[1]}
    origins = {at: path, f"{at}.icd10": f"{path}.code.coding[{code[0]}].code"}
    if clinical is not None:
        diagnosis["status"] = CLINICAL_STATUS[clinical[1]]
        origins[f"{at}.status"] = f"{path}.clinicalStatus"
    severity = single_code(resource.get("severity"), codes.SNOMED)
    if severity is not None and severity[1] in SEVERITY:
        diagnosis["severity"] = SEVERITY[severity[1]]
        origins[f"{at}.severity"] = f"{path}.severity"
    elif "severity" in resource:
        reading.skip(
            f"{path}.severity",
            f"Condition.severity: {described(resource['severity'])} is not SNOMED CT mild, moderate or "
            "severe; severity unspecified",
        )
    note = _note(reading, resource, path)
    if note is not None:
        diagnosis["note"] = note
        origins[f"{at}.note"] = f"{path}.note[0].text"
    if any(_same(diagnosis, other) for other in diagnoses):  # on a problem list and an encounter: once
        reading.skip(path, f"Condition: {code[1]} is listed again with the same status; read once")
        return
    diagnoses.append(diagnosis)
    reading.origins.update(origins)


def _same(diagnosis: dict[str, Any], other: dict[str, Any]) -> bool:
    def key(d):
        code = (normalize_icd10(d["icd10"]) or d["icd10"]) if isinstance(d["icd10"], str) else d["icd10"]
        return (
            code,
            d.get("status", "active"),
            d.get("severity", "unspecified"),
            (d.get("note") or "").strip(),
        )

    return key(diagnosis) == key(other)


def _note(reading: Reading, resource: dict, path: str) -> str | None:
    notes = items(resource.get("note"))
    for i in range(1, len(notes)):
        reading.skip(f"{path}.note[{i}]", "Condition.note: only the first note is read")
    if not notes:
        return None
    note = text(obj(notes[0]).get("text"))
    if note is not None and len(note.strip()) <= TEXT_MAX["diagnosis_note"]:
        return note
    reading.skip(
        f"{path}.note[0]",
        f"Condition.note: not text of at most {TEXT_MAX['diagnosis_note']} characters; not mapped",
    )
    return None


def read_medication(
    reading: Reading, resource: dict[str, Any], path: str, medications: dict[str, tuple[dict, str]]
) -> set[str]:
    """One MedicationStatement; answers the paths of the Medication resources it named (so they are not
    listed as not mapped)."""
    status = resource.get("status")
    if status not in TAKEN:
        reading.skip(path, f"MedicationStatement: status {status!r}: not a current medication; not mapped")
        return set()
    used: set[str] = set()
    if "medicationCodeableConcept" in resource:
        concept, concept_path = resource["medicationCodeableConcept"], f"{path}.medicationCodeableConcept"
    else:
        reference = text(obj(resource.get("medicationReference")).get("reference")) or ""
        found = _medication(resource, path, reference, medications)
        if found is None:
            reading.skip_current_medication(
                path, "MedicationStatement: its Medication is not in the input; not mapped"
            )
            return used
        (medication, medication_path) = found
        concept, concept_path = medication.get("code"), f"{medication_path}.code"
        used.add(medication_path)
    concept = obj(concept)
    coding = obj(items(concept.get("coding"))[0]) if items(concept.get("coding")) else {}
    name, name_path = concept.get("text"), f"{concept_path}.text"
    if name is None:
        name, name_path = coding.get("display"), f"{concept_path}.coding[0].display"
    if name is None:
        reading.skip_current_medication(
            path,
            "MedicationStatement: no name (text or the first coding's display); the codes "
            "are never used to guess one; not mapped",
        )
        return used
    meds = reading.intake["medications"]["items"]
    at = f"medications.items[{len(meds)}]"
    item: dict[str, Any] = {"name": name}
    reading.origin(at, path)
    reading.origin(f"{at}.name", name_path)
    _dosage(reading, resource, path, item, at)
    meds.append(item)
    return used


def read_medication_request(reading: Reading, resource: dict[str, Any], path: str) -> None:
    """A prescription is not what the patient takes: never mapped. One in force (REQUESTED) is a current
    medication missing from the list, so the list read is not reconciled."""
    status = resource.get("status")
    shown = status if isinstance(status, str) else repr(status)
    message = (
        f"MedicationRequest (status {shown[:40]}): not mapped: the product reads MedicationStatement "
        "(what the patient takes)"
    )
    if status in REQUESTED:
        reading.skip_current_medication(path, f"{message}; a current medication is missing from the list")
    else:
        reading.skip(path, message)


def _medication(resource, path, reference, medications) -> tuple[dict, str] | None:
    if reference.startswith("#"):
        for i, contained in enumerate(items(resource.get("contained"))):
            contained = obj(contained)
            if contained.get("resourceType") == "Medication" and contained.get("id") == reference[1:]:
                return contained, f"{path}.contained[{i}]"
        return None
    return medications.get(reference)


def _dosage(reading: Reading, resource: dict[str, Any], path: str, item: dict, at: str) -> None:
    """dosage[0]: the dose in mg, times a day (frequency per 1 d), as needed and the most doses a day.
    Anything else (another unit, a period other than a day, a second dosage) leaves the number unknown
    and is listed: a daily amount is never half known."""
    dosages = items(resource.get("dosage"))
    if not dosages:
        return
    if len(dosages) > 1:
        reading.skip(f"{path}.dosage", "MedicationStatement.dosage: more than one dosage; dose unknown")
        return
    dosage, where = obj(dosages[0]), f"{path}.dosage[0]"
    if "asNeededBoolean" in dosage:
        item["as_needed"] = dosage["asNeededBoolean"]
        reading.origin(f"{at}.as_needed", f"{where}.asNeededBoolean")
    elif "asNeededCodeableConcept" in dosage:  # as needed, for the stated reason
        item["as_needed"] = True
        reading.origin(f"{at}.as_needed", f"{where}.asNeededCodeableConcept")
    rates = items(dosage.get("doseAndRate"))
    if rates:
        dose = ucum_value(obj(rates[0]).get("doseQuantity"), "mg")
        if len(rates) == 1 and dose is not None:
            item["dose_mg"] = dose
            reading.origin(f"{at}.dose_mg", f"{where}.doseAndRate[0].doseQuantity")
        else:
            reading.skip(f"{where}.doseAndRate", "dose: not one doseQuantity in mg (UCUM); dose unknown")
    if "timing" in dosage:
        _timing(reading, dosage["timing"], where, item, at)
    if "maxDosePerPeriod" in dosage:
        ratio = obj(dosage["maxDosePerPeriod"])
        doses = number(obj(ratio.get("numerator")).get("value"))
        if ucum_value(ratio.get("denominator"), "d") == 1 and doses is not None:
            item["max_doses_per_day"] = doses
            reading.origin(f"{at}.max_doses_per_day", f"{where}.maxDosePerPeriod.numerator")
        else:
            reading.skip(f"{where}.maxDosePerPeriod", "maxDosePerPeriod: not doses per 1 day; unknown")
    if "text" in dosage:  # beside a structured dose it may say more ("then 25 mg from the 1st")
        reading.skip(
            f"{where}.text",
            "Dosage.text: not read; only the structured dose is (the text may say more, e.g. a taper)",
        )


def _timing(reading: Reading, timing: Any, where: str, item: dict, at: str) -> None:
    """Times a day only from a timing that holds exactly repeat.frequency per period 1 periodUnit d: any
    other element (when, timeOfDay, bounds, a code, events, frequencyMax) may change what it means."""
    timing = obj(timing)
    repeat = obj(timing.get("repeat"))
    if (
        set(timing) == {"repeat"}
        and set(repeat) == {"frequency", "period", "periodUnit"}
        and number(repeat["period"]) == 1
        and repeat["periodUnit"] == "d"
        and number(repeat["frequency"]) is not None
    ):
        item["times_per_day"] = repeat["frequency"]
        reading.origin(f"{at}.times_per_day", f"{where}.timing.repeat.frequency")
        return
    reading.skip(
        f"{where}.timing",
        "timing: not exactly repeat.frequency per period 1 periodUnit d (nothing else); times a day unknown",
    )
