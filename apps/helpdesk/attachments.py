"""What a ticket accepts as an attachment: small screenshots, PDFs, logs, data and ESDL files.

A file is judged by its name's extension and by its bytes (an image or PDF must start as one; a
text file must be UTF-8), never by the browser's claim of its type. Files are served back as
downloads with the type decided here, never rendered in the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile


@dataclass(frozen=True)
class Kind:
    content_type: str
    magic: tuple[bytes, ...] = ()  # the file must start with one of these; () for text


IMAGE_PNG = Kind("image/png", (b"\x89PNG\r\n\x1a\n",))
IMAGE_JPEG = Kind("image/jpeg", (b"\xff\xd8\xff",))
PDF = Kind("application/pdf", (b"%PDF-",))
ALLOWED: dict[str, Kind] = {
    "png": IMAGE_PNG,
    "jpg": IMAGE_JPEG,
    "jpeg": IMAGE_JPEG,
    "pdf": PDF,
    "txt": Kind("text/plain"),
    "log": Kind("text/plain"),
    "csv": Kind("text/csv"),
    "json": Kind("application/json"),
    "esdl": Kind("application/xml"),
    "xml": Kind("application/xml"),
}


def checked(upload: UploadedFile) -> tuple[str, str, bytes]:
    """(name, content type, bytes) of an acceptable upload, or a ValidationError saying why not."""
    limit = settings.HELPDESK_ATTACHMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            f"The attachment is {upload.size // 1024} KiB; at most {limit // 1024} KiB is accepted."
        )
    name = (upload.name or "attachment").replace("\\", "/").rsplit("/", 1)[-1][:200]
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kind = ALLOWED.get(extension)
    if kind is None:
        raise ValidationError(
            "Attach a screenshot (PNG, JPEG), a PDF, or a text, log, CSV, JSON or ESDL file; "
            f"“.{extension}” files are not accepted."
            if extension
            else "The attachment needs a file name with an extension, e.g. screenshot.png."
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(f"The attachment is larger than {limit // 1024} KiB.")
    if kind.magic:
        if not data.startswith(kind.magic):
            raise ValidationError(f"{name} is not a {extension.upper()} file.")
    else:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(f"{name} is not a UTF-8 text file.") from None
    return name, kind.content_type, data
