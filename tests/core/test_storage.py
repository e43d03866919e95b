"""Stored files through Django's storage API only (issue 20 item 1): the local MEDIA_ROOT by default, an
S3-compatible bucket when the environment names one (core/storage.py); a stored PDF is served only by the
app's permission-checked views, streamed from the storage and checked against its sha256 (core/files.py),
never by a bucket URL. The bucket is moto's S3 emulator, run in this process."""

import hashlib
import json
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import boto3
import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.urls import reverse
from storages.backends.s3 import S3Storage

from core.files import StorageUnavailable, StoredFileAltered, StoredFileMissing, read_verified
from core.storage import FILESYSTEM, S3, storages_from_env
from infusions.services import infusion_start
from infusions.sheet import sheet_for_download, sheet_render, sheet_request
from patients.services import intake_import
from screening.models import ReportPdf
from screening.services import pdf_render, pdf_request, screening_run
from screening.tasks import render_report_pdf_task
from tests.api.conftest import ApiClient, bearer
from tests.conftest import EXAMPLES, ROOT, child_env, free_port
from tests.defaults_snapshot import load_defaults_for_test
from tests.infusions.conftest import cleared_patient

FAKE_SECRET = "fake-secret-key-never-in-settings"

# ------------------------------------------------------------------------------------ the choice of storage


def test_by_default_files_stay_in_media_root(tmp_path):
    assert storages_from_env({}, tmp_path) == {"BACKEND": FILESYSTEM, "OPTIONS": {"location": str(tmp_path)}}
    blank = {"DJANGO_STORAGE_URL": " ", "AWS_STORAGE_BUCKET_NAME": ""}
    assert storages_from_env(blank, tmp_path)["BACKEND"] == FILESYSTEM


def test_a_storage_url_names_the_bucket_and_its_prefix(tmp_path):
    entry = storages_from_env({"DJANGO_STORAGE_URL": "s3://clinic-pdfs/preinfusion"}, tmp_path)
    assert entry["BACKEND"] == S3 == "storages.backends.s3.S3Storage"
    options = entry["OPTIONS"]
    assert (options["bucket_name"], options["location"]) == ("clinic-pdfs", "preinfusion")
    deeper = storages_from_env({"DJANGO_STORAGE_URL": "s3://clinic-pdfs/site-a/pdfs/"}, tmp_path)
    assert deeper["OPTIONS"]["location"] == "site-a/pdfs"
    bare = storages_from_env({"DJANGO_STORAGE_URL": "s3://clinic-pdfs"}, tmp_path)
    assert (bare["OPTIONS"]["bucket_name"], bare["OPTIONS"]["location"]) == ("clinic-pdfs", "")


def test_the_usual_aws_bucket_variable_is_enough_and_the_url_wins_over_it(tmp_path):
    entry = storages_from_env({"AWS_STORAGE_BUCKET_NAME": "clinic-pdfs", "AWS_LOCATION": "/pdfs/"}, tmp_path)
    assert entry["BACKEND"] == S3
    assert (entry["OPTIONS"]["bucket_name"], entry["OPTIONS"]["location"]) == ("clinic-pdfs", "pdfs")
    both = {"AWS_STORAGE_BUCKET_NAME": "other-bucket", "DJANGO_STORAGE_URL": "s3://clinic-pdfs/p"}
    assert storages_from_env(both, tmp_path)["OPTIONS"]["bucket_name"] == "clinic-pdfs"


def test_endpoint_and_region_for_s3_compatible_stores(tmp_path):
    aws = storages_from_env({"DJANGO_STORAGE_URL": "s3://clinic-pdfs"}, tmp_path)["OPTIONS"]
    assert "endpoint_url" not in aws and "region_name" not in aws
    assert aws["client_config"].s3 == {"addressing_style": "auto"}
    env = {
        "DJANGO_STORAGE_URL": "s3://clinic-pdfs",
        "AWS_ENDPOINT_URL": "http://minio:9000",
        "AWS_DEFAULT_REGION": "eu-west-3",
    }
    options = storages_from_env(env, tmp_path)["OPTIONS"]
    assert (options["endpoint_url"], options["region_name"]) == ("http://minio:9000", "eu-west-3")
    assert options["client_config"].s3 == {"addressing_style": "path"}  # one host name, as MinIO answers
    specific = {**env, "AWS_S3_ENDPOINT_URL": "https://s3.example.org", "AWS_S3_REGION_NAME": "ca-central-1"}
    options = storages_from_env(specific, tmp_path)["OPTIONS"]
    assert (options["endpoint_url"], options["region_name"]) == ("https://s3.example.org", "ca-central-1")


def test_objects_are_private_and_the_client_gives_up_quickly(tmp_path):
    options = storages_from_env({"DJANGO_STORAGE_URL": "s3://clinic-pdfs"}, tmp_path)["OPTIONS"]
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert "custom_domain" not in options and "object_parameters" not in options
    config = options["client_config"]
    assert config.connect_timeout <= 5 and config.read_timeout <= 15
    assert config.retries["max_attempts"] <= 3


def test_server_side_encryption_is_asked_for_by_the_environment(tmp_path):
    env = {"DJANGO_STORAGE_URL": "s3://clinic-pdfs", "AWS_S3_SSE": "AES256"}
    assert storages_from_env(env, tmp_path)["OPTIONS"]["object_parameters"] == {
        "ServerSideEncryption": "AES256"
    }
    kms = {**env, "AWS_S3_SSE": "aws:kms", "AWS_S3_SSE_KMS_KEY_ID": "alias/clinic"}
    parameters = storages_from_env(kms, tmp_path)["OPTIONS"]["object_parameters"]
    assert parameters == {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "alias/clinic"}
    with pytest.raises(ImproperlyConfigured, match="AWS_S3_SSE must be one of"):
        storages_from_env({**env, "AWS_S3_SSE": "rot13"}, tmp_path)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_STORAGE_URL": "gs://clinic-pdfs"}, "scheme 'gs' is not supported"),
        ({"DJANGO_STORAGE_URL": "https://clinic-pdfs.s3.amazonaws.com"}, "scheme 'https' is not supported"),
        ({"DJANGO_STORAGE_URL": "clinic-pdfs"}, "scheme '(none)' is not supported"),
        ({"DJANGO_STORAGE_URL": "s3://"}, "names no bucket"),
        ({"DJANGO_STORAGE_URL": "s3:///preinfusion"}, "names no bucket"),
        ({"DJANGO_STORAGE_URL": "s3://AKIAFAKE:secret@clinic-pdfs"}, "must not hold credentials"),
        ({"DJANGO_STORAGE_URL": "s3://clinic-pdfs?region=x"}, "no query"),
        ({"DJANGO_STORAGE_URL": "s3://ab"}, "is not a bucket name"),
        ({"DJANGO_STORAGE_URL": "s3://clinic-pdfs:9000"}, "is not a bucket name"),
        ({"AWS_STORAGE_BUCKET_NAME": "clinic pdfs"}, "is not a bucket name"),
        ({"DJANGO_STORAGE_URL": "s3://clinic-pdfs", "AWS_S3_ENDPOINT_URL": "minio:9000"}, "http(s) URL"),
        (
            {"DJANGO_STORAGE_URL": "s3://clinic-pdfs", "AWS_S3_ADDRESSING_STYLE": "dns"},
            "auto, path or virtual",
        ),
    ],
)
def test_anything_else_is_refused_at_start_with_a_clear_message(tmp_path, env, message):
    with pytest.raises(ImproperlyConfigured) as refused:
        storages_from_env(env, tmp_path)
    assert message in str(refused.value)


def test_credentials_never_reach_the_settings(tmp_path):
    env = {
        "DJANGO_STORAGE_URL": "s3://clinic-pdfs/p",
        "AWS_ACCESS_KEY_ID": "AKIAFAKEFAKEFAKE",
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET,
        "AWS_SESSION_TOKEN": "fake-session-token",
    }
    options = storages_from_env(env, tmp_path)["OPTIONS"]
    assert not {"access_key", "secret_key", "security_token", "session_profile"} & set(options)
    text = repr(options) + repr(vars(options["client_config"]))
    for value in ("AKIAFAKEFAKEFAKE", FAKE_SECRET, "fake-session-token"):
        assert value not in text


def settings_storages(**env) -> dict:
    """STORAGES as config/settings.py builds it from this environment, in a fresh interpreter."""
    code = "from django.conf import settings; import json; print(json.dumps(settings.STORAGES, default=repr))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=child_env(DJANGO_SETTINGS_MODULE="config.settings", DJANGO_ENV_FILE="", **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    return {"returncode": done.returncode, "out": done.stdout, "err": done.stderr}


def test_the_settings_read_the_storage_from_the_environment(settings):
    assert settings.STORAGES["default"] == {
        "BACKEND": FILESYSTEM,
        "OPTIONS": {"location": str(settings.MEDIA_ROOT)},
    }
    assert settings.STORAGES["staticfiles"] == {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}
    assert isinstance(default_storage, FileSystemStorage)
    bucket = settings_storages(DJANGO_STORAGE_URL="s3://clinic-pdfs/preinfusion")
    assert bucket["returncode"] == 0, bucket["err"]
    default = json.loads(bucket["out"])["default"]
    assert (default["BACKEND"], default["OPTIONS"]["location"]) == (S3, "preinfusion")
    wrong = settings_storages(DJANGO_STORAGE_URL="gs://clinic-pdfs")
    assert wrong["returncode"] != 0 and "DJANGO_STORAGE_URL must read s3://" in wrong["err"]


# ------------------------------------------------------------------------------------ reading a stored file


def test_read_verified_serves_only_the_bytes_whose_sha256_was_recorded(db, tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    pdf = ReportPdf(file=storage.save("reports/a.pdf", ContentFile(b"%PDF-1.7 report")))
    pdf.file.storage = storage
    assert read_verified(pdf.file, hashlib.sha256(b"%PDF-1.7 report").hexdigest()) == b"%PDF-1.7 report"
    with pytest.raises(StoredFileAltered, match="does not match its checksum"):
        read_verified(pdf.file, hashlib.sha256(b"another file").hexdigest())
    with pytest.raises(StoredFileAltered):
        read_verified(pdf.file, "")  # no checksum recorded: nothing to vouch for the bytes
    storage.delete("reports/a.pdf")
    with pytest.raises(StoredFileMissing):
        read_verified(pdf.file, hashlib.sha256(b"%PDF-1.7 report").hexdigest())
    with pytest.raises(StoredFileMissing):
        read_verified(ReportPdf().file, "0" * 64)


def test_a_store_that_cannot_be_read_is_a_refusal_not_an_error(db, tmp_path, monkeypatch):
    storage = FileSystemStorage(location=tmp_path)
    pdf = ReportPdf(file=storage.save("reports/a.pdf", ContentFile(b"%PDF")))
    pdf.file.storage = storage

    def unreachable(name, mode="rb"):
        raise ConnectionError("the store is down")

    monkeypatch.setattr(storage, "open", unreachable)
    with pytest.raises(StorageUnavailable, match="could not be read: ConnectionError"):
        read_verified(pdf.file, hashlib.sha256(b"%PDF").hexdigest())


# ------------------------------------------------------------------------------------ an S3 bucket (moto)


@pytest.fixture
def bucket(s3_endpoint, fake_aws_credentials, settings, tmp_path):
    """A fresh bucket in the emulator, made the default storage as the environment would name it:
    DJANGO_STORAGE_URL with a prefix, the endpoint, encryption at rest. Returns (boto3 client, bucket)."""
    name = f"clinic-pdfs-{uuid.uuid4().hex[:8]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name)
    env = {
        "DJANGO_STORAGE_URL": f"s3://{name}/preinfusion",
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_S3_SSE": "AES256",
    }
    settings.MEDIA_ROOT = str(tmp_path / "media")  # nothing may land here
    settings.STORAGES = {**settings.STORAGES, "default": storages_from_env(env, settings.MEDIA_ROOT)}
    return client, name


def keys(client, name) -> list[str]:
    return [item["Key"] for item in client.list_objects_v2(Bucket=name).get("Contents", [])]


def stored_bytes(client, name, key) -> bytes:
    return client.get_object(Bucket=name, Key=key)["Body"].read()


@pytest.fixture
def rendered(bucket, weasyprint, clinician, monkeypatch):
    """A consult PDF rendered by the worker's code into the bucket; returns (ReportPdf, its key)."""
    monkeypatch.setattr(render_report_pdf_task, "delay", lambda *args, **kwargs: None)
    load_defaults_for_test()
    patient, _ = intake_import(doc=json.loads((EXAMPLES / "deferred-bp-and-benzodiazepine.json").read_text()))
    screening = screening_run(patient=patient, requested_by=clinician, as_of=date(2026, 11, 20))
    pdf = pdf_render(pdf_id=pdf_request(screening=screening, user=clinician).pk)
    assert pdf.status == ReportPdf.Status.READY
    return pdf, f"preinfusion/{pdf.file.name}"


def page_download(client, user, screening_id):
    client.force_login(user)
    return client.get(reverse("screening:pdf_download", args=[screening_id]))


def api_download(client, user, screening_id):
    return ApiClient(client, bearer(user)).get(f"/screenings/{screening_id}/pdf/download")


def test_the_pdf_is_written_to_the_bucket_private_and_encrypted_not_to_the_disk(bucket, rendered, settings):
    client, name = bucket
    pdf, key = rendered
    assert isinstance(ReportPdf._meta.get_field("file").storage._wrapped, S3Storage)
    assert keys(client, name) == [key] == [f"preinfusion/reports/screening-{pdf.screening_id}.pdf"]
    content = stored_bytes(client, name, key)
    assert content.startswith(b"%PDF") and hashlib.sha256(content).hexdigest() == pdf.sha256
    head = client.head_object(Bucket=name, Key=key)
    assert head["ServerSideEncryption"] == "AES256"
    grants = client.get_object_acl(Bucket=name, Key=key)["Grants"]
    assert [grant["Grantee"]["Type"] for grant in grants] == ["CanonicalUser"]  # the owner only
    assert not [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


@pytest.mark.parametrize("who", ["report_staff", "physician"])
def test_the_page_and_the_api_stream_the_bucket_bytes(bucket, rendered, client, request, who):
    client_s3, name = bucket
    pdf, key = rendered
    user = request.getfixturevalue(who)
    in_bucket = stored_bytes(client_s3, name, key)
    for response in (
        page_download(client, user, pdf.screening_id),
        api_download(client, user, pdf.screening_id),
    ):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert f'filename="screening-{pdf.screening_id}-' in response["Content-Disposition"]
        body = b"".join(response.streaming_content)
        assert body == in_bucket and hashlib.sha256(body).hexdigest() == pdf.sha256


@pytest.mark.parametrize("entry", ["page", "api"])
def test_an_object_changed_in_the_bucket_is_refused_and_marked_failed(
    bucket, rendered, client, report_staff, entry
):
    client_s3, name = bucket
    pdf, key = rendered
    client_s3.put_object(Bucket=name, Key=key, Body=b"%PDF-1.7 not the report")
    if entry == "page":
        response = page_download(client, report_staff, pdf.screening_id)
        assert response.status_code == 302
        assert response["Location"] == reverse("screening:detail", args=[pdf.screening_id])
        said = [str(m) for m in get_messages(response.wsgi_request)]
        assert said == ["The PDF file does not match its checksum: export it again."]
    else:
        response = api_download(client, report_staff, pdf.screening_id)
        assert response.status_code == 409
        assert response.json() == {"error": "The PDF file does not match its checksum: export it again."}
    pdf.refresh_from_db()
    assert pdf.status == ReportPdf.Status.FAILED and "checksum" in pdf.error
    # a new request renders it again into the bucket, and it is served again
    again = pdf_render(pdf_id=pdf_request(screening=pdf.screening, user=report_staff).pk)
    assert again.status == ReportPdf.Status.READY
    assert hashlib.sha256(stored_bytes(client_s3, name, key)).hexdigest() == again.sha256
    assert api_download(client, report_staff, pdf.screening_id).status_code == 200


def test_an_object_gone_from_the_bucket_is_refused_as_missing(bucket, rendered, client, report_staff):
    client_s3, name = bucket
    pdf, key = rendered
    client_s3.delete_object(Bucket=name, Key=key)
    api = api_download(client, report_staff, pdf.screening_id)
    assert api.status_code == 409 and api.json() == {"error": "The PDF file is missing; export it again."}
    page = page_download(client, report_staff, pdf.screening_id)
    assert page.status_code == 302
    assert [str(m) for m in get_messages(page.wsgi_request)] == ["The PDF file is missing; export it again."]
    pdf.refresh_from_db()
    assert pdf.status == ReportPdf.Status.READY  # nothing altered: a request renders it again


def test_an_unreachable_store_is_refused_quickly_not_a_500(bucket, rendered, client, report_staff, settings):
    pdf, _key = rendered
    dead = {
        "DJANGO_STORAGE_URL": "s3://clinic-pdfs/preinfusion",
        "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
    }
    settings.STORAGES = {**settings.STORAGES, "default": storages_from_env(dead, settings.MEDIA_ROOT)}
    api = api_download(client, report_staff, pdf.screening_id)
    assert api.status_code == 503 and "cannot be reached" in api.json()["error"]
    assert api["Retry-After"] == "5"  # a moment's outage, not a conflict
    pdf.refresh_from_db()
    assert pdf.status == ReportPdf.Status.READY  # the file may well be intact: not marked failed


def test_the_day_of_sheet_in_the_bucket_is_checked_by_the_same_reader(
    bucket, weasyprint, clinician, physician, on_assessment_day, client
):
    client_s3, name = bucket
    infusion = infusion_start(patient=cleared_patient(clinician, physician), user=clinician)
    sheet = sheet_render(sheet_id=sheet_request(infusion=infusion, user=clinician).pk)
    key = f"preinfusion/{sheet.file.name}"
    assert key in keys(client_s3, name)
    _row, content, _filename = sheet_for_download(infusion.pk)
    assert content == stored_bytes(client_s3, name, key)
    client_s3.put_object(Bucket=name, Key=key, Body=b"%PDF-1.7 not the sheet")
    client.force_login(clinician)
    response = client.get(reverse("infusions:sheet_download", args=[infusion.pk]))
    assert response.status_code == 302
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said == ["The day-of sheet's file does not match its checksum: print it again."]
    sheet.refresh_from_db()
    assert sheet.status == "failed" and "checksum" in sheet.error


def test_printing_again_while_the_store_is_unreachable_queues_a_render_not_a_500(
    bucket, weasyprint, clinician, physician, on_assessment_day, settings
):
    infusion = infusion_start(patient=cleared_patient(clinician, physician), user=clinician)
    sheet = sheet_render(sheet_id=sheet_request(infusion=infusion, user=clinician).pk)
    assert sheet.status == "ready"
    dead = {
        "DJANGO_STORAGE_URL": "s3://clinic-pdfs/preinfusion",
        "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{free_port()}",
    }
    settings.STORAGES = {**settings.STORAGES, "default": storages_from_env(dead, settings.MEDIA_ROOT)}
    again = sheet_request(infusion=infusion, user=clinician)  # the render is queued after commit: not here
    assert again.pk == sheet.pk and again.status == "queued"  # its file could not be seen: rendered again
