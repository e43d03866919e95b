"""Where stored files (the report PDFs, the day-of sheets) live, chosen from the environment: the local
folder MEDIA_ROOT by default; an S3-compatible bucket (AWS S3, MinIO...) when DJANGO_STORAGE_URL
(s3://bucket-name[/prefix]) or AWS_STORAGE_BUCKET_NAME is set, so that every web process and worker of a
deployment reads and writes the same files.

Read by config/settings.py only (no settings here). Credentials are never in the settings: boto3 finds
them itself (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance or task role). Objects
stay private (no ACL is set, so the bucket's own policy holds): files are served only by the app's
permission-checked views, streamed from the storage, never by a bucket URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from botocore.config import Config
from django.core.exceptions import ImproperlyConfigured

FILESYSTEM = "django.core.files.storage.FileSystemStorage"
S3 = "storages.backends.s3.S3Storage"
# A bucket name as S3 and its emulators accept it (older AWS buckets may hold capitals and underscores).
BUCKET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]")
SSE_VALUES = ("AES256", "aws:kms")
# A readiness check or a download waits seconds for the store, not minutes.
CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 10
MAX_ATTEMPTS = 2


def _env(environ: Mapping[str, str], *names: str) -> str:
    """The first of the variables set to something other than blanks, or ""."""
    return next((environ[name].strip() for name in names if environ.get(name, "").strip()), "")


def _bucket_and_prefix(environ: Mapping[str, str]) -> tuple[str, str]:
    url = _env(environ, "DJANGO_STORAGE_URL")
    if not url:
        return _env(environ, "AWS_STORAGE_BUCKET_NAME"), _env(environ, "AWS_LOCATION").strip("/")
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise ImproperlyConfigured(
            f"DJANGO_STORAGE_URL must read s3://bucket-name[/prefix]; the scheme {parts.scheme or '(none)'!r}"
            " is not supported (unset it to keep files in MEDIA_ROOT)."
        )
    if "@" in parts.netloc:
        raise ImproperlyConfigured(
            "DJANGO_STORAGE_URL must not hold credentials: give them as AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or use a role."
        )
    if parts.query or parts.fragment:
        raise ImproperlyConfigured(
            "DJANGO_STORAGE_URL takes no query or fragment: s3://bucket-name[/prefix]."
        )
    return parts.netloc, parts.path.strip("/")


def _s3_options(environ: Mapping[str, str], bucket: str, prefix: str) -> dict:
    endpoint = _env(environ, "AWS_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL")
    # Path-style requests by default against a custom endpoint (MinIO and emulators answer on one host name).
    addressing = _env(environ, "AWS_S3_ADDRESSING_STYLE") or ("path" if endpoint else "auto")
    if addressing not in ("auto", "path", "virtual"):
        raise ImproperlyConfigured("AWS_S3_ADDRESSING_STYLE must be auto, path or virtual.")
    options = {
        "bucket_name": bucket,
        "location": prefix,
        "default_acl": None,  # private: the bucket's policy holds, no object is made public
        "querystring_auth": True,  # a URL, were one ever made, would be signed and short-lived
        "querystring_expire": 60,
        "file_overwrite": True,  # names are made of ids: a new render replaces the old file
        "client_config": Config(
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            read_timeout=READ_TIMEOUT_SECONDS,
            retries={"max_attempts": MAX_ATTEMPTS, "mode": "standard"},
            s3={"addressing_style": addressing},
            signature_version="s3v4",
        ),
    }
    if endpoint:
        if urlsplit(endpoint).scheme not in ("http", "https"):
            raise ImproperlyConfigured(f"The S3 endpoint must be an http(s) URL, not {endpoint!r}.")
        options["endpoint_url"] = endpoint
    region = _env(environ, "AWS_S3_REGION_NAME", "AWS_DEFAULT_REGION")
    if region:
        options["region_name"] = region
    sse = _env(environ, "AWS_S3_SSE")
    if sse:
        if sse not in SSE_VALUES:
            raise ImproperlyConfigured(f"AWS_S3_SSE must be one of {', '.join(SSE_VALUES)}, not {sse!r}.")
        options["object_parameters"] = {"ServerSideEncryption": sse}
        kms_key = _env(environ, "AWS_S3_SSE_KMS_KEY_ID")
        if kms_key and sse == "aws:kms":
            options["object_parameters"]["SSEKMSKeyId"] = kms_key
    return options


def storages_from_env(environ: Mapping[str, str], media_root: Path | str) -> dict:
    """The STORAGES["default"] entry the environment asks for: MEDIA_ROOT on the local disk, or an
    S3-compatible bucket (DJANGO_STORAGE_URL=s3://bucket-name[/prefix], else AWS_STORAGE_BUCKET_NAME with
    AWS_LOCATION as the prefix), reached at AWS_S3_ENDPOINT_URL or AWS_ENDPOINT_URL when set, in
    AWS_S3_REGION_NAME or AWS_DEFAULT_REGION; AWS_S3_SSE=AES256|aws:kms encrypts each object at rest.
    Raises ImproperlyConfigured on any other URL or a bucket name S3 would refuse."""
    asked = bool(_env(environ, "DJANGO_STORAGE_URL", "AWS_STORAGE_BUCKET_NAME"))
    if not asked:
        return {"BACKEND": FILESYSTEM, "OPTIONS": {"location": str(media_root)}}
    bucket, prefix = _bucket_and_prefix(environ)
    if not bucket:
        raise ImproperlyConfigured("DJANGO_STORAGE_URL names no bucket: s3://bucket-name[/prefix].")
    if not BUCKET_NAME.fullmatch(bucket):
        raise ImproperlyConfigured(
            f"{bucket!r} is not a bucket name: 3 to 63 letters, digits, dots or hyphens, starting and "
            "ending with a letter or digit."
        )
    return {"BACKEND": S3, "OPTIONS": _s3_options(environ, bucket, prefix)}
