"""Reading a stored file back (a report PDF, a day-of sheet) through Django's storage API, whatever the
storage (the local MEDIA_ROOT or an S3 bucket: core/storage.py): the bytes are served only once their
sha256 matches the one recorded when the file was written, so a file changed or replaced in the store is
never handed out."""

from __future__ import annotations

import hashlib
import logging

from django.db.models.fields.files import FieldFile
from django.utils import timezone

log = logging.getLogger(__name__)


class StoredFileRefused(Exception):
    """The stored file cannot be served (the subclass says why)."""


class StoredFileMissing(StoredFileRefused):
    """No file was stored, or it is gone from the store."""


class StoredFileAltered(StoredFileRefused):
    """The stored bytes do not match the sha256 recorded when the file was written."""


class StorageUnavailable(StoredFileRefused):
    """The store could not be read just now (unreachable, timed out, access refused)."""


def read_verified(field_file: FieldFile, sha256: str) -> bytes:
    """The stored file's bytes, read whole from its storage and checked against `sha256` (hex). Raises
    StoredFileMissing, StoredFileAltered or StorageUnavailable; never another error."""
    name = field_file.name if field_file else ""
    if not name:
        raise StoredFileMissing("no file was stored")
    try:
        with field_file.storage.open(name, "rb") as handle:
            content = handle.read()
    except FileNotFoundError as exc:
        raise StoredFileMissing(f"{name} is not in the store") from exc
    except Exception as exc:  # any backend's failure (botocore's, OSError...): refused, never a 500
        log.warning("stored file unreadable name=%s error=%s", name, type(exc).__name__)
        raise StorageUnavailable(f"{name} could not be read: {type(exc).__name__}") from exc
    if not sha256 or hashlib.sha256(content).hexdigest() != sha256.lower():
        raise StoredFileAltered(f"{name} does not match its checksum")
    return content


def read_stored_row(row, error: str) -> bytes:
    """read_verified for a row that records its rendered file (`file`, `sha256`, `status`, `error`: a report
    PDF, a day-of sheet). An altered file marks this row failed with `error` before StoredFileAltered is
    raised: this file only, so a row rendered again since (a new checksum) is left alone."""
    try:
        return read_verified(row.file, row.sha256)
    except StoredFileAltered:
        type(row).objects.filter(pk=row.pk, status=row.status, sha256=row.sha256).update(
            status="failed", error=error, updated_at=timezone.now()
        )
        raise


def file_present(field_file: FieldFile) -> bool:
    """Whether the file is in its store. A store that cannot be asked just now counts as not (the caller
    renders the file again, which fails and is retried if the store is still away), never a 500."""
    if not field_file or not field_file.name:
        return False
    try:
        return field_file.storage.exists(field_file.name)
    except Exception as exc:  # any backend's failure (botocore's, OSError...)
        log.warning("stored file unreachable name=%s error=%s", field_file.name, type(exc).__name__)
        return False
