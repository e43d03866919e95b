"""Changes to PHI records in the audit trail, whatever the path (a page, the API, the CLI, the admin):
each tracked model's create, update (with the names of the fields that changed, never their values) and
delete, by the user the service named (`_history_user`) or the request being served."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_save

from .audit import audit_record

# model label -> the action its creation records (an update is "update", a deletion "delete")
_TRACKED: dict[str, str] = {}


def _concrete(instance) -> list[str]:
    return [
        f.attname for f in instance._meta.concrete_fields if f.attname not in ("updated_at", "row_versions")
    ]


def _before_save(sender, instance, **kwargs):
    if instance.pk is None or kwargs.get("raw"):
        instance._audit_before = None
        return
    instance._audit_before = (
        type(instance)._default_manager.filter(pk=instance.pk).values(*_concrete(instance)).first()
    )


def _after_save(sender, instance, created, **kwargs):
    if kwargs.get("raw"):
        return
    user = getattr(instance, "_history_user", None)
    if created:
        audit_record(action=_TRACKED[sender._meta.label], user=user, obj=instance)
        return
    before = getattr(instance, "_audit_before", None) or {}
    changed = [name for name, old in before.items() if getattr(instance, name) != old]
    if changed:
        audit_record(
            action="update", user=user, obj=instance, fields=[n.removesuffix("_id") for n in changed]
        )


def _after_delete(sender, instance, **kwargs):
    audit_record(action="delete", user=getattr(instance, "_history_user", None), obj=instance)


def track(model, created_action: str = "create") -> None:
    """Record this model's creations, updates and deletions in the audit trail."""
    _TRACKED[model._meta.label] = created_action
    uid = f"audit-{model._meta.label}"
    pre_save.connect(_before_save, sender=model, dispatch_uid=uid + "-pre")
    post_save.connect(_after_save, sender=model, dispatch_uid=uid + "-post")
    post_delete.connect(_after_delete, sender=model, dispatch_uid=uid + "-delete")
