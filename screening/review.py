"""A physician's review of a screening (criteria.md, "Overrides, sign-off and validity"): overrides as each
rule's setting allows, co-signatures by a second physician, clinicians' suggestions (never in force) and
the sign-off decision. Every entry point (page, API, CLI) calls these, so each refusal holds everywhere."""

from __future__ import annotations

from django.db import transaction

from core.roles import EDIT_RECORDS, has_any_role, is_physician
from screening.engine.ruleset import Rule as EngineRule

from .compiled import screening_ruleset
from .currency import screening_currency
from .engine.severity import verdict_for
from .intake import unstorable_text
from .models import FindingOverride, OverrideCosignature, OverrideSuggestion, Screening, SignOff

OVERRIDE_REASON_MAX = 1000
NOTE_MAX = 2000
CLEARABLE = ("eligible", "eligible_with_precautions")
# Overrides, co-signing and signing are a physician's acts, and a person's: an account made without a
# password (`create_user --no-password`, for an EHR bridge or a script) may import and screen, not vouch.
SERVICE_ACCOUNT_REFUSED = (
    "A service account (no password) cannot override, co-sign or sign: a physician must."
)
PHYSICIAN_ONLY = "Only a physician can {}; a clinician may suggest an override in a note."
# Why a finding whose rule allows no override cannot be set aside, by severity.
NOT_OVERRIDABLE = {
    "contraindicated": "is an absolute contraindication that is never set aside",
    "not_candidate": "puts the patient outside the protocol: not cleared under it",
    "missing": "says data is missing: supply it and screen again (a guess is not data)",
    "defer": "cannot be overridden under this rule set: correct it and screen again",
    "review": "cannot be overridden under this rule set",
    "precaution": "is a precaution: it is followed, and acknowledged when the screening is cleared",
    "info": "is for information only: there is nothing to override",
}


class ScreeningRefused(Exception):
    """A workflow step that the record's state or the user's role does not allow."""


NAME_MAX = 200  # the length of the *_name columns that keep who acted


def display_name(user) -> str:
    return (user.get_full_name() or user.username)[:NAME_MAX]


def _physician(user, act: str) -> None:
    if not is_physician(user):
        raise ScreeningRefused(PHYSICIAN_ONLY.format(act))
    if not user.has_usable_password():
        raise ScreeningRefused(SERVICE_ACCOUNT_REFUSED)


def _text(value: str, what: str, limit: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ScreeningRefused(f"{what} is required.")
    if len(value) > limit:
        raise ScreeningRefused(f"{what} is limited to {limit} characters.")
    if unstorable_text(value):
        raise ScreeningRefused(f"{what} {unstorable_text(value)}.")
    return value


def screening_rules(screening: Screening) -> dict[str, EngineRule]:
    """The rules of the rule set the screening was made under, by code (compiled once per process)."""
    return {rule.code: rule for rule in screening_ruleset(screening).rules}


def set_aside(screening: Screening, overrides) -> set[str]:
    """The rules whose findings are set aside: overrides in force on findings whose rule, in the rule set
    the screening was made under, lets a physician set them aside. Nothing else counts, whatever a row
    says (a row from before the physician policy, or one on a finding that allows none, never does)."""
    counted = {o.rule for o in overrides if o.in_force}
    if not counted:
        return counted
    rules = screening_rules(screening)
    return {code for code in counted if code in rules and rules[code].policy != "none"}


def effective_verdict(screening: Screening, overrides) -> str:
    """The verdict once the findings set aside by overrides in force are left out."""
    aside = set_aside(screening, overrides)
    if not aside:  # the engine's verdict is the one all its findings give (engine.evaluate), stored with them
        return screening.verdict
    return verdict_for(f["severity"] for f in screening.report["findings"] if f["rule"] not in aside)


def _finding(screening: Screening, code: str) -> dict:
    finding = next((f for f in screening.report["findings"] if f["rule"] == code), None)
    if finding is None:
        raise ScreeningRefused(f"{code} is not a finding of this screening.")
    return finding


def _not_signed(screening: Screening, what: str) -> None:
    if SignOff.objects.filter(screening=screening).exists():
        raise ScreeningRefused(f"This screening is signed: {what}")


@transaction.atomic
def finding_override(
    *, screening: Screening, rule: str, reason: str, user, reason_code: str = ""
) -> FindingOverride:
    """Set a finding aside, as its rule's override setting allows (none, reason, cosign)."""
    _physician(user, "override a finding")
    screening = Screening.objects.select_for_update().get(pk=screening.pk)
    _not_signed(screening, "its findings can no longer be overridden.")
    finding = _finding(screening, rule)
    engine_rule = screening_rules(screening).get(rule)
    policy = engine_rule.policy if engine_rule is not None else "none"
    if policy == "none":
        raise ScreeningRefused(f"{rule} {NOT_OVERRIDABLE[finding['severity']]}.")
    offered = {r.code for r in engine_rule.override_reasons}
    reason_code = (reason_code or "").strip()
    if reason_code and reason_code not in offered:
        listed = ", ".join(sorted(offered)) or "none"
        raise ScreeningRefused(f"{reason_code!r} is not a reason {rule} offers (offered: {listed}).")
    text = _text(reason, "An override reason", OVERRIDE_REASON_MAX, required=not reason_code)
    if FindingOverride.objects.filter(screening=screening, rule=rule).exists():
        raise ScreeningRefused(f"{rule} is already overridden.")
    if not text:
        text = next(r.display for r in engine_rule.override_reasons if r.code == reason_code)
    return FindingOverride.objects.create(
        screening=screening,
        rule=rule,
        severity=finding["severity"],
        reason=text,
        reason_code=reason_code,
        policy=policy,
        overridden_by=user,
        overridden_by_name=display_name(user),
        needs_cosign=policy == "cosign",
    )


@transaction.atomic
def override_cosign(*, override: FindingOverride, user) -> FindingOverride:
    _physician(user, "co-sign an override")
    # the screening first, as overriding and signing lock it: a co-signature never lands after a sign-off
    Screening.objects.select_for_update().get(pk=override.screening_id)
    override = FindingOverride.objects.select_for_update().get(pk=override.pk)
    if SignOff.objects.filter(screening_id=override.screening_id).exists():
        raise ScreeningRefused("This screening is signed already.")
    if override.policy != "cosign" or override.cosigned_at is not None:
        raise ScreeningRefused("This override needs no (further) co-signature.")
    if override.overridden_by_id == user.pk:
        raise ScreeningRefused("A co-signature must come from a second, different physician.")
    # a row of its own beside the override, which is never edited (creating it caches it on `override`)
    OverrideCosignature.objects.create(
        override=override, cosigned_by=user, cosigned_by_name=display_name(user)
    )
    return override


@transaction.atomic
def override_suggest(*, screening: Screening, rule: str, note: str, user) -> OverrideSuggestion:
    """A clinician's note for the physician that a finding might be set aside; it is never in force."""
    if not has_any_role(user, EDIT_RECORDS):
        raise ScreeningRefused("Only clinical staff can suggest an override.")
    screening = Screening.objects.select_for_update().get(pk=screening.pk)
    _not_signed(screening, "suggestions are closed.")
    _finding(screening, rule)
    text = _text(note, "A suggestion", OVERRIDE_REASON_MAX, required=True)
    return OverrideSuggestion.objects.create(
        screening=screening, rule=rule, note=text, suggested_by=user, suggested_by_name=display_name(user)
    )


def clearance_blockers(screening: Screening, overrides, currency=None) -> list[str]:
    """Why this screening cannot be cleared now (empty: it can)."""
    blockers = []
    pending = [o.rule for o in overrides if not o.legacy and not o.in_force]
    if pending:
        blockers.append("waiting for a second physician's co-signature on " + ", ".join(pending))
    verdict = effective_verdict(screening, overrides)
    if verdict not in CLEARABLE:
        blockers.append(f"the effective verdict is {verdict.replace('_', ' ')}")
    currency = currency or screening_currency(screening)
    if not currency.current:
        blockers.append("the screening is " + currency.text)
    return blockers


def _checklist_ticks(screening: Screening, ticked) -> list[int]:
    """The positions of the report's checklist items ticked as done, each once, in order; anything else is
    refused (a position that names no item, a repeat, a value that is not a whole number)."""
    items = screening.report.get("checklist", [])
    positions: list[int] = []
    for value in ticked:
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or int(text) >= len(items):
            raise ScreeningRefused(f"Checklist item {text[:20]!r} is not on this report's checklist.")
        if int(text) in positions:
            raise ScreeningRefused(f"Checklist item {text} is ticked twice.")
        positions.append(int(text))
    return sorted(positions)


@transaction.atomic
def screening_sign(*, screening: Screening, user, decision: str, note: str = "", checklist=()) -> SignOff:
    """Record the physician's decision, once: `cleared` (only on an eligible, current screening with every
    co-signature given; it acknowledges each precaution) or `not_cleared` (on any screening). `checklist`:
    the positions of the consult checklist items done, kept with the decision (none need be ticked: the
    checklist records, the decision is the physician's)."""
    _physician(user, "sign a screening")
    screening = Screening.objects.select_for_update().get(pk=screening.pk)
    if SignOff.objects.filter(screening=screening).exists():
        raise ScreeningRefused("This screening is already signed.")
    if decision not in (SignOff.Decision.CLEARED, SignOff.Decision.NOT_CLEARED):
        raise ScreeningRefused("Choose a decision: cleared or not_cleared.")
    text = _text(note, "The note", NOTE_MAX, required=False)
    ticks = _checklist_ticks(screening, checklist)
    overrides = list(screening.overrides.select_related("cosignature"))
    acknowledged: list[str] = []
    if decision == SignOff.Decision.CLEARED:
        blockers = clearance_blockers(screening, overrides)
        if blockers:
            raise ScreeningRefused("Cannot clear: " + "; ".join(blockers) + ".")
        aside = set_aside(screening, overrides)
        acknowledged = [
            f["rule"]
            for f in screening.report["findings"]
            if f["severity"] == "precaution" and f["rule"] not in aside
        ]
    return SignOff.objects.create(
        screening=screening,
        signed_by=user,
        signer_name=display_name(user),
        decision=decision,
        note=text,
        effective_verdict=effective_verdict(screening, overrides),
        acknowledged=acknowledged,
        checklist=ticks,
    )
