"""Rule 7 — files. A document's file is checked by its content, never by its name or the
type its sender claims: PDF, PNG, JPEG and DOCX only (415 `unsupported_file_type`), at most
DOCUMENT_MAX_BYTES (20 MiB; 413 `file_too_large`), then handed to the deployment's virus
scanner, if one is configured (`OMGEVING_VIRUS_SCANNER`, a dotted path to a callable that
takes the open file and raises `FileRejected` or returns; 400 `file_rejected`). It is stored
through Django's storage API under a random name (local `var/media` by default; any
django-storages backend in production) and served only as an attachment, never inline.
"""

from __future__ import annotations

import hashlib
import zipfile

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from omgeving.errors import FileRefused, raises

PDF, PNG, JPEG = "application/pdf", "image/png", "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ALLOWED = (PDF, PNG, JPEG, DOCX)
EXTENSIONS = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg", DOCX: ".docx"}


def download_name(filename: str, content_type: str) -> str:
    """The uploaded name with the extension of the type found in the file: `x.html` that is
    a PNG downloads as `x.png`, so no program opens it as what its name claims."""
    stem, dot, extension = filename.rpartition(".")
    wanted = EXTENSIONS.get(content_type, "")
    if dot and f".{extension.lower()}" in (wanted, ".jpeg" if wanted == ".jpg" else wanted):
        return filename
    return (stem if dot and stem else filename) + wanted


class FileRejected(Exception):
    """Raised by a virus scanner for a file that must not be stored."""


def detect(file) -> str | None:
    """The file's type by its content (magic bytes; a DOCX is a ZIP holding
    word/document.xml and [Content_Types].xml), or None."""
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(file) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return None
        finally:
            file.seek(0)
        if {"word/document.xml", "[Content_Types].xml"} <= names:
            return DOCX
    return None


def scan(file) -> None:
    path = settings.VIRUS_SCANNER
    if not path:
        return
    try:
        import_string(path)(file)
    except FileRejected as exc:
        raise FileRefused(str(exc) or _("The virus scanner refused this file."),
                          code="file_rejected") from None
    finally:
        file.seek(0)


@raises("file_too_large", "unsupported_file_type", "file_rejected")
def check_file(file) -> tuple[str, int, str]:
    """(content type, size, sha256) of an acceptable file; refuses any other."""
    size = file.size
    if size > settings.DOCUMENT_MAX_BYTES:
        raise FileRefused(_("A document is at most %(limit)s bytes.")
                          % {"limit": settings.DOCUMENT_MAX_BYTES}, code="file_too_large")
    content_type = detect(file)
    if content_type is None:
        raise FileRefused(_("Only PDF, PNG, JPEG and DOCX files are taken (checked by their "
                            "content)."), code="unsupported_file_type")
    scan(file)
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return content_type, size, digest.hexdigest()


ORPHAN_AGE = 3600  # seconds: an upload still in its request is never taken for an orphan


def remove_orphans(now=None) -> int:
    """Remove stored files that no document row points to and that are older than an hour:
    what an upload left when its request's transaction rolled back after the file was
    stored, or the process died in between (health data is not kept unreachable). Returns
    how many files went."""
    import datetime

    from django.core.files.storage import default_storage
    from django.utils import timezone

    from .models import Document

    now = now or timezone.now()
    before = now - datetime.timedelta(seconds=ORPHAN_AGE)
    removed = 0
    try:
        organizations, _ = default_storage.listdir("documents")
    except FileNotFoundError:
        return 0
    for folder in organizations:
        names = [f"documents/{folder}/{n}" for n in default_storage.listdir(
            f"documents/{folder}")[1]]
        for start in range(0, len(names), 500):
            batch = names[start:start + 500]
            kept = set(Document.all_objects.all_organizations().filter(
                file__in=batch).values_list("file", flat=True))
            for name in batch:
                if name not in kept and default_storage.get_modified_time(name) < before:
                    default_storage.delete(name)
                    removed += 1
    return removed
