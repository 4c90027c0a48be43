"""Uploaded files: their type read from their content, and their serving.

The name and the browser's Content-Type are the uploader's to choose, so an
HTML page named photo.jpg, or a program renamed report.pdf, would pass a check
of either. The first bytes are not: each kind we accept has a signature (and an
Office file is a zip archive holding its own part), images must also open in
Pillow. The sniffed type is the one stored and the one served.

Files are never under a public URL: each app serves its own through a view that
checks the same rights as the page that links to it, with private_file_response.
"""

import zipfile

from django.core.exceptions import ValidationError
from django.http import FileResponse
from PIL import Image, UnidentifiedImageError

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
GIF = "image/gif"
WEBP = "image/webp"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

EXTENSIONS = {
    PDF: "pdf",
    JPEG: "jpg",
    PNG: "png",
    GIF: "gif",
    WEBP: "webp",
    DOCX: "docx",
    XLSX: "xlsx",
}
_PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG", GIF: "GIF", WEBP: "WEBP"}
# The part each Office format must hold, besides [Content_Types].xml.
_OFFICE_PARTS = {DOCX: "word/document.xml", XLSX: "xl/workbook.xml"}


def _signature(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    return None


def _office_type(upload) -> str | None:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    return next((kind for kind, part in _OFFICE_PARTS.items() if part in names), None)


def _image_opens(upload, kind: str) -> bool:
    try:
        with Image.open(upload) as image:
            image.verify()
            return image.format == _PILLOW_FORMATS[kind]
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False


def sniff(upload, *, open_images: bool = True) -> str | None:
    """The content type of a file (an upload or an open stored file) read from
    its bytes, one of those above, or None. The position is left at 0.
    open_images=False trusts an image's signature without decoding it: for
    a stored file, checked in full when it was uploaded."""
    try:
        upload.seek(0)
        head = upload.read(16)
        kind = _signature(head)
        if kind == "zip":
            upload.seek(0)
            kind = _office_type(upload)
        elif kind in _PILLOW_FORMATS and open_images:
            upload.seek(0)
            kind = kind if _image_opens(upload, kind) else None
        return kind
    finally:
        upload.seek(0)


def upload_check(upload, *, accept, max_bytes: int, too_large: str, wrong_type: str) -> str:
    """The sniffed content type of an upload if it is one of `accept` and at
    most max_bytes; else a ValidationError with the message given (each may
    name the file as %(name)s)."""
    name = (getattr(upload, "name", "") or "")[-60:]
    if upload.size > max_bytes:
        raise ValidationError(too_large, code="too_large", params={"name": name})
    kind = sniff(upload)
    if kind not in accept:
        raise ValidationError(wrong_type, code="wrong_type", params={"name": name})
    return kind


def private_file_response(handle, *, content_type: str, filename: str, inline=None, max_age=3600):
    """A stored file as the response of a view that has checked the rights.
    Images show in the page, everything else downloads. The browser must not
    guess another type (nosniff), and a file opened on its own runs nothing
    and reaches nothing (a sandbox CSP), whatever it holds."""
    if inline is None:
        inline = content_type in _PILLOW_FORMATS
    response = FileResponse(
        handle,
        content_type=content_type or "application/octet-stream",
        as_attachment=not inline,
        filename=filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = f"private, max-age={max_age}"
    return response
