"""Rule-set governance steps in the audit trail (imported by RulesConfig.ready())."""

from django.db.models.signals import post_save

from core.audit import audit_record

from .models import RuleSetEvent

# a governance step of a rule set, under the action the audit trail names it by
ACTIONS = {"submitted": "submit", "returned": "return", "approved": "approve", "activated": "publish"}


def governance_audited(sender, instance, created, **kwargs):
    action = ACTIONS.get(instance.action)
    if created and action and instance.ruleset_id is not None:
        audit_record(
            action=action,
            user=instance.actor,
            object_type="ruleset",
            object_id=instance.ruleset_id,
            detail=instance.version,
            user_name=instance.actor_label,
        )


post_save.connect(governance_audited, sender=RuleSetEvent, dispatch_uid="audit-rules")
