"""Screenings and the decisions on them in the audit trail (imported by ScreeningConfig.ready())."""

from core.audit_changes import track

from .models import FindingOverride, OverrideCosignature, OverrideSuggestion, Screening, SignOff

track(Screening, "screen")
track(FindingOverride, "override")
track(OverrideCosignature, "cosign")
track(OverrideSuggestion, "suggest")
track(SignOff, "sign")
