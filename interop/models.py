"""What the interop app keeps: the CDS clients' JWT ids already used (docs/cds-hooks.md, "Trusting EHRs")."""

from __future__ import annotations

from django.db import models


class UsedToken(models.Model):
    """A CDS client's JWT, seen once: its issuer and `jti`, kept until the token expires (plus the clock
    skew allowed). The unique constraint is the replay check, in the database, so every server process
    refuses a replay (interop.cds_hooks.auth inserts the row; a second insert fails)."""

    ISSUER_MAX = 500
    JTI_MAX = 256

    issuer = models.CharField(max_length=ISSUER_MAX)
    jti = models.CharField(max_length=JTI_MAX)
    expires_at = models.DateTimeField(db_index=True, help_text="after this the token is refused anyway")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "jti"], name="interop_usedtoken_once")]

    def __str__(self) -> str:
        return f"{self.issuer} jti {self.jti}"
