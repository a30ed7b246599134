"""Documents (rule 7): multipart upload, the type found from the content, the size limit, a
virus scanner hook, downloads only as attachments, the file kept after a delete."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from omgeving.audit.models import AccessLogEntry
from omgeving.care.files import FileRejected
from omgeving.care.models import Document

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def upload(api, joost, content: bytes, name="plan.pdf", author="pieter", **extra):
    return api.post("/api/documents/", {
        "client": joost["joost"].pk, "author": joost[author].pk, "title": "Plan",
        "file": SimpleUploadedFile(name, content, content_type="application/octet-stream"),
        **extra}, format="multipart")


def test_upload_and_download(api, joost):
    answer = upload(api, joost, PDF, name='../../etc/"passwd".pdf')
    assert answer.status_code == 201, answer.content
    made = answer.json()
    assert made["content_type"] == "application/pdf" and made["size"] == len(PDF)
    assert made["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert made["uploaded_by"] == joost["pieter"].pk and made["filename"] == "passwd.pdf"
    stored = Document.objects.get(pk=made["id"])
    assert "passwd" not in stored.file.name and stored.file.name.startswith("documents/")
    before = AccessLogEntry.objects.count()
    download = api.get(f"/api/documents/{made['id']}/content/", HTTP_ACCEPT="application/pdf")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="passwd.pdf"'
    assert download["Cache-Control"] == "no-store"
    assert download["X-Content-Type-Options"] == "nosniff"
    [entry] = AccessLogEntry.objects.order_by("id")[before:]
    assert (entry.resource, entry.action, entry.subject_id) == (
        "documents", "read", joost["joost"].pk)


@pytest.mark.parametrize("in_memory", [True, False])
def test_a_stored_file_is_readable_by_the_server_only(api, joost, settings, in_memory):
    """0600 in a 0700 directory, whatever the umask, for an upload held in memory and for
    one spooled to a temporary file first (FILE_UPLOAD_MAX_MEMORY_SIZE)."""
    if not in_memory:
        settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0
    previous = os.umask(0o022)
    try:
        answer = upload(api, joost, PDF)
    finally:
        os.umask(previous)
    assert answer.status_code == 201, answer.content
    path = Path(Document.objects.get(pk=answer.json()["id"]).file.path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_types_are_found_from_the_content(api, joost):
    assert upload(api, joost, PNG, name="foto.pdf").json()["content_type"] == "image/png"
    assert upload(api, joost, b"\xff\xd8\xff\xe0" + b"0" * 20,
                  name="x.jpg").json()["content_type"] == "image/jpeg"
    assert upload(api, joost, docx(), name="brief.docx").json()["content_type"] == \
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    plain_zip = io.BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("evil.exe", "MZ")
    for content, name in ((b"MZ\x90\x00", "plan.pdf"), (b"<html><script>", "plan.pdf"),
                          (plain_zip.getvalue(), "brief.docx"), (b"PK\x03\x04broken", "b.docx")):
        answer = upload(api, joost, content, name=name)
        assert answer.status_code == 415, (name, answer.content)
        assert answer.json()["code"] == "unsupported_file_type"
    assert Document.objects.count() == 3


def test_size_limit(api, joost, settings):
    settings.DOCUMENT_MAX_BYTES = 1000
    answer = upload(api, joost, PDF + b"0" * 1000)
    assert answer.status_code == 413 and answer.json()["code"] == "file_too_large"
    assert upload(api, joost, PDF).status_code == 201


def test_body_limit_of_uploads_is_the_file_limit_and_a_form(api, joost):
    from omgeving.api.limits import body_limit

    assert body_limit("/api/documents/", 1024 * 1024) == 21 * 1024 * 1024
    assert body_limit("/api/users/", 1024 * 1024) == 1024 * 1024
    answer = api.post("/api/documents/", b"x", content_type="multipart/form-data; boundary=x",
                      CONTENT_LENGTH=str(22 * 1024 * 1024))
    assert answer.status_code == 413 and answer.json()["code"] == "body_too_large"


def refuse_everything(file):
    raise FileRejected("EICAR-Test-Signature")


def test_virus_scanner_hook(api, joost, settings):
    settings.VIRUS_SCANNER = f"{__name__}.refuse_everything"
    answer = upload(api, joost, PDF)
    assert answer.status_code == 400 and answer.json()["code"] == "file_rejected"
    assert "EICAR" in answer.json()["detail"] and Document.objects.count() == 0


def test_a_guardian_may_not_upload_and_delete_keeps_the_file(api, joost):
    answer = upload(api, joost, PDF, author="ans")
    assert answer.status_code == 403 and answer.json()["code"] == "author_not_permitted"
    made = upload(api, joost, PDF).json()
    stored = Document.objects.get(pk=made["id"])
    assert api.delete(f"/api/documents/{made['id']}/").status_code == 204
    assert api.get(f"/api/documents/{made['id']}/content/").status_code == 410
    assert stored.file.storage.exists(stored.file.name)  # the file is kept
    assert Document.all_objects.get(pk=made["id"]).deleted_by.username == "ecd"


def test_json_is_not_an_upload(api, joost):
    answer = api.post("/api/documents/", {"client": joost["joost"].pk}, format="json")
    assert answer.status_code == 415 and answer.json()["code"] == "unsupported_media_type"


def test_a_document_whose_row_fails_leaves_no_file(api, joost, monkeypatch):
    """Two uploads racing for one external_id: the second passes the service's check, then
    the database's unique constraint refuses its row. Its bytes must not stay behind."""
    from omgeving.care import services

    assert upload(api, joost, PDF, external_id="ecd-1").status_code == 201
    [kept] = Document.objects.all()
    storage = kept.file.storage
    real, checks = services.check_unique, []

    def racing(obj, *fields):  # the check before the insert saw no rival yet
        checks.append(fields)
        if len(checks) > 1:
            real(obj, *fields)

    monkeypatch.setattr(services, "check_unique", racing)
    answer = upload(api, joost, PNG, external_id="ecd-1")
    assert answer.status_code == 409 and answer.json()["code"] == "external_id_taken"
    assert len(checks) == 2  # the insert failed, and the check after it found the rival
    assert Document.objects.count() == 1
    assert storage.listdir(f"documents/{joost['joost'].organization_id}")[1] == [
        kept.file.name.rsplit("/", 1)[1]]


def test_a_taken_external_id_or_another_refusal_leaves_no_file(api, joost, monkeypatch):
    """A plain taken external_id is 409 `external_id_taken`; a refusal no check foresaw (here
    the unique constraint with the checks out of the way) is the frame's 409 `conflict`.
    Neither leaves the uploaded bytes in storage."""
    from omgeving.care import services

    assert upload(api, joost, PDF, external_id="ecd-1").status_code == 201
    [kept] = Document.objects.all()
    folder = f"documents/{joost['joost'].organization_id}"
    answer = upload(api, joost, PNG, external_id="ecd-1")
    assert answer.status_code == 409 and answer.json()["code"] == "external_id_taken"
    monkeypatch.setattr(services, "check_unique", lambda obj, *fields: None)
    answer = upload(api, joost, PNG, external_id="ecd-1")
    assert answer.status_code == 409 and answer.json()["code"] == "conflict"
    assert Document.objects.count() == 1
    assert kept.file.storage.listdir(folder)[1] == [kept.file.name.rsplit("/", 1)[1]]


@pytest.mark.parametrize("name, downloaded", [
    ("x.html", "x.png"), ("foto.PNG", "foto.PNG"), ("noextension", "noextension.png"),
    (".htaccess", ".htaccess.png")])
def test_a_download_is_named_with_the_extension_of_its_found_type(api, joost, name, downloaded):
    made = upload(api, joost, PNG, name=name).json()
    assert made["content_type"] == "image/png"
    download = api.get(f"/api/documents/{made['id']}/content/", HTTP_ACCEPT="image/png")
    assert download["Content-Disposition"] == f'attachment; filename="{downloaded}"'


@pytest.mark.django_db(transaction=True)
def test_a_file_left_by_a_rolled_back_upload_is_removed_by_the_sweep(api, joost, monkeypatch):
    """The file is stored before the row; when the request's transaction rolls back after
    that (here the access log cannot be written: 500) no row points to it. The worker's
    sweep removes such files once they are an hour old, and never a document's own."""
    import datetime

    import time_machine
    from django.utils import timezone

    from omgeving.audit import services as audit
    from omgeving.webhooks.delivery import sweep
    from omgeving.webhooks.models import SweepSchedule

    kept = Document.objects.get(pk=upload(api, joost, PDF).json()["id"])
    folder = f"documents/{joost['joost'].organization_id}"

    def log_down(**kwargs):
        raise RuntimeError("the access log is down")

    monkeypatch.setattr(audit, "record", log_down)
    api.raise_request_exception = False  # the 500 as a client sees it
    assert upload(api, joost, PNG).status_code == 500
    monkeypatch.undo()
    stored = kept.file.storage.listdir(folder)[1]
    assert len(stored) == 2 and Document.objects.count() == 1  # one file nobody points to
    SweepSchedule.objects.create(pk=1, next_run_at=timezone.now())
    sweep()
    assert len(kept.file.storage.listdir(folder)[1]) == 2  # too young: maybe still uploading
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=2)):
        sweep()
    assert kept.file.storage.listdir(folder)[1] == [kept.file.name.rsplit("/", 1)[1]]
