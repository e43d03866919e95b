"""The audit trail: one service records every read and change of PHI and every security event.

    audit_record(request=request, action="view", obj=patient)

Called from services and views (never templates). A row holds ids and names of actors, never clinical
content. Appends are serialised (a PostgreSQL advisory lock; SQLite serialises writers itself), so the
hash chain stays linear under concurrent writers."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEvent

GENESIS = "0" * 64
ADVISORY_LOCK = 7_300_415  # any constant: the key of the lock that serialises appends

ACTIONS = (
    "view",
    "create",
    "update",
    "delete",
    "export",
    "download",
    "screen",
    "override",
    "cosign",
    "suggest",
    "sign",
    "submit",
    "return",
    "approve",
    "publish",
    "login",
    "login_failed",
    "logout",
    "lockout",
    "unlock",
    "token_use",
    "otp_enrol",
    "otp_failed",
    "purge",
    "checkpoint",
    "feedback",  # a CDS client's feedback on a card it was given (accepted, overridden)
)


def _values(event: AuditEvent) -> list:
    """The row's content after its number, in the order of its hash (and of the append function's
    parameters, core/migrations/0009)."""
    return [
        event.at,
        event.user_id,
        event.user_name,
        event.action,
        event.object_type,
        event.object_id,
        event.patient_id,
        event.ip,
        event.user_agent,
        list(event.fields),
        event.detail,
    ]


def _content(event: AuditEvent) -> str:
    at, *rest = _values(event)
    return json.dumps([event.seq, at.isoformat(), *rest], separators=(",", ":"), ensure_ascii=False)


def event_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((prev_hash + _content(event)).encode("utf-8")).hexdigest()


def checkpoint_signature(prev_hash: str, detail: str) -> str:
    """A checkpoint's signature: an HMAC (with the secret key) of the hash it continues from."""
    key = settings.SECRET_KEY.encode("utf-8")
    return hmac.new(key, f"{prev_hash}|{detail}".encode(), hashlib.sha256).hexdigest()


# The request being served (set by AuditContextMiddleware), so that a service or a model signal records who
# and from where without every caller passing the request down. None in the CLI and in tasks.
_current_request: ContextVar[Any] = ContextVar("audit_request", default=None)


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def current_request():
    return _current_request.get()


def _client(request) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    ip = request.META.get("REMOTE_ADDR") or None
    return ip, str(request.META.get("HTTP_USER_AGENT", ""))[:200]


def _actor(request, user) -> tuple[int | None, str]:
    if user is None and request is not None:
        user = getattr(request, "user", None)
        if not getattr(user, "is_authenticated", False):
            user = getattr(request, "auth", None)  # the JSON API's caller (a bearer token's user)
    if user is None or not getattr(user, "is_authenticated", False):
        return None, ""
    return user.pk, (user.get_full_name() or user.get_username())[:150]


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])


def audit_record(
    *,
    action: str,
    request=None,
    user=None,
    obj: Any = None,
    object_type: str = "",
    object_id: Any = None,
    patient_id: int | None = None,
    fields: Iterable[str] = (),
    detail: str = "",
    user_name: str = "",
) -> AuditEvent:
    """Append one event. `obj` names the object (its model name and pk) and, when it has one, its patient;
    `fields` are the names of changed fields (never values); `detail` is short and never PHI."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    request = request if request is not None else current_request()
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = obj.pk if object_id is None else object_id
        if patient_id is None:
            patient_id = _patient_of(obj)
    user_id, name = _actor(request, user)
    ip, agent = _client(request)
    event = AuditEvent(
        at=timezone.now(),
        user_id=user_id,
        user_name=name or user_name[:150],
        action=action,
        object_type=object_type[:40],
        object_id="" if object_id is None else str(object_id)[:40],
        patient_id=patient_id,
        ip=ip,
        user_agent=agent,
        fields=sorted(fields),
        detail=detail[:200],
    )
    if connection.vendor == "postgresql":
        _append_in_postgresql(event)
    else:
        _append(event)
    return event


@transaction.atomic
def _append(event: AuditEvent) -> None:
    _lock()
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    event.seq, event.prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    event.hash = event_hash(event.prev_hash, event)
    event.save()


def _append_in_postgresql(event: AuditEvent) -> None:
    """One round trip (core/migrations/0009): the database takes the lock, numbers the row and computes its
    hash from the content Python wrote, every element but the first (the number, known only under the lock)."""
    event.seq = 0
    tail = _content(event)[len("[0,") :]
    values = _values(event)  # the fields' list goes as JSON (jsonb)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT * FROM preinfusion_audit_append(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s)",
            [ADVISORY_LOCK, *values[:-2], json.dumps(values[-2]), values[-1], tail],
        )
        event.pk, event.seq, event.prev_hash, event.hash = cursor.fetchone()
    event._state.adding = False
    event._state.db = connection.alias


def _patient_of(obj) -> int | None:
    if obj._meta.model_name == "patient":
        return obj.pk
    return getattr(obj, "patient_id", None)


@dataclass(frozen=True)
class ChainCheck:
    checked: int
    broken_at: int | None  # the seq of the first row whose link or hash does not hold
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def audit_verify(batch: int = 2000) -> ChainCheck:
    """Walk the chain from its first row (the genesis or a signed checkpoint) and report the first broken
    link: a row whose prev_hash is not the previous row's hash, whose hash is not its content's, a gap in
    the sequence, or a checkpoint whose signature does not hold."""
    checked, prev_hash, prev_seq = 0, None, None
    last_seq = 0
    while True:
        rows = list(AuditEvent.objects.filter(seq__gt=last_seq).order_by("seq")[:batch])
        if not rows:
            return ChainCheck(checked, None)
        for event in rows:
            if prev_hash is None and event.action == "checkpoint":
                # a purge's checkpoint stands in for the last removed row: it carries that row's hash, the
                # one the next row links to, signed with the secret key
                body, _, signature = event.detail.rpartition(" sig=")
                if not hmac.compare_digest(signature, checkpoint_signature(event.hash, body)):
                    return ChainCheck(checked, event.seq, "the checkpoint's signature does not hold")
            else:
                if prev_hash is None and (event.prev_hash != GENESIS or event.seq != 1):
                    return ChainCheck(checked, event.seq, "the chain does not start at the genesis")
                if prev_hash is not None and event.seq != prev_seq + 1:
                    return ChainCheck(checked, prev_seq + 1, "a row is missing")
                if prev_hash is not None and event.prev_hash != prev_hash:
                    return ChainCheck(checked, event.seq, "its link does not match the previous row")
                if event.hash != event_hash(event.prev_hash, event):
                    return ChainCheck(checked, event.seq, "its content does not match its hash")
            prev_hash, prev_seq = event.hash, event.seq
            checked += 1
        last_seq = rows[-1].seq


PURGE_SETTING = "preinfusion.allow_purge"


@transaction.atomic
def audit_purge(*, before, user=None, request=None) -> int:
    """The retention purge: remove the events older than `before` and leave a signed checkpoint in place
    of the last removed one, from which `audit verify` continues. The purge itself is audited."""
    _lock()
    doomed = AuditEvent.objects.filter(at__lt=before).order_by("-seq")
    last = doomed.values_list("seq", "hash").first()
    if last is None:
        return 0
    count = doomed.count()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config(%s, 'on', true)", [PURGE_SETTING])
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE seq <= %s", [last[0]])  # noqa: S608
    # the checkpoint takes the last removed row's place in the sequence and carries its hash (the one the
    # next row links to), signed: `audit verify` starts from it
    detail = f"purged {count} events before {before.isoformat()}"
    AuditEvent(
        seq=last[0],
        at=timezone.now(),
        action="checkpoint",
        detail=f"{detail} sig={checkpoint_signature(last[1], detail)}",
        prev_hash=GENESIS,
        hash=last[1],
    ).save()
    audit_record(action="purge", request=request, user=user, detail=detail)
    return count


def patient_accesses(patient_id: int, limit: int = 20) -> list[AuditEvent]:
    """Who accessed this patient's record, newest first (the patient page shows it to physicians)."""
    return list(AuditEvent.objects.filter(patient_id=patient_id).order_by("-seq")[:limit])
