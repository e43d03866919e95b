"""Changes to infusion records in the audit trail (imported by InfusionsConfig.ready())."""

from core.audit_changes import track

from .models import Infusion

track(Infusion)
