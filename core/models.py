from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the secret is shown once, at creation."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(
        max_length=100, blank=True, help_text="what the token is for (e.g. the EHR bridge)"
    )
    prefix = models.CharField(max_length=12, help_text="the first characters, to recognise a token in lists")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user_id", "created_at"]

    def __str__(self) -> str:
        return f"token {self.prefix}… of user {self.user_id}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AuditEvent(models.Model):
    """One entry of the append-only audit trail: who did what to which object, when and from where.

    Never PHI: an object is named by type and id (and the patient by id), an update by the names of the
    fields it changed, never their values. Each row carries the sha256 of the previous row's hash and its
    own content (`hash`), so an edited or removed row breaks the chain (`manage.py audit verify`). The
    database refuses UPDATE and DELETE (a PostgreSQL trigger; the model on any database); the retention
    purge is the one way out, and it leaves a signed checkpoint row the chain continues from."""

    seq = models.BigIntegerField(unique=True)  # the position in the chain, 1, 2, 3...
    at = models.DateTimeField()
    user_id = models.IntegerField(
        null=True, blank=True, db_index=True
    )  # not a foreign key: users go, rows stay
    user_name = models.CharField(max_length=150, blank=True)  # the name at the time
    action = models.CharField(max_length=24, db_index=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    patient_id = models.IntegerField(null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)
    fields = models.JSONField(default=list, blank=True)  # the names of the fields an update changed
    detail = models.CharField(max_length=200, blank=True)  # never PHI: a route name, a count, a reason code
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["at"]), models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"audit #{self.seq} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Audit events are append-only: only the retention purge removes them.")


class BuiltinRole(models.Model):
    """A role of the product and the group that carries it. The code reads a user's roles from here, by
    group id, never from group names: renaming a group in the admin keeps its role, and a group that
    carries a role cannot be deleted (PROTECT), so no admin click silently takes everyone's access away."""

    role = models.CharField(max_length=40, unique=True)  # one of core.roles.ALL_ROLES
    group = models.OneToOneField("auth.Group", on_delete=models.PROTECT, related_name="builtin_role")

    def __str__(self) -> str:
        return f"{self.role} (group {self.group_id})"
