"""PDFs made on the server: any template with its context, rendered by
WeasyPrint with the CJK font installed from Debian (fonts-noto-cjk), the font
embedded as a subset so the file reads the same on any machine.

    return pdf_response(request, "summaries/member_record_pdf.html", context,
                        filename="张三2026年度履职档案.pdf")

The template is a whole HTML document whose stylesheets and images are named
with {% static %}; they are read from the app's own static files, and any
other URL is refused, so rendering never reaches outside the machine (a
government intranet has no internet, and a document must not call home).

WeasyPrint needs Debian's pango (libpango-1.0-0, libpangoft2-1.0-0); where it
is missing, `pdf_from_html` raises PdfUnavailable and `pdf_response` answers
503 with a Chinese message, while the HTML print pages keep working."""

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils._os import safe_join
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

# WeasyPrint logs each step of each document at INFO; a refused or missing
# resource still shows, at WARNING.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

# A base URL that names no real host: relative and root-relative URLs in a
# template resolve against it, and the fetcher serves only its /static/ paths.
BASE_URL = "http://lvzhi.invalid/"


class PdfUnavailable(RuntimeError):
    """The renderer or the system libraries it needs are not installed."""


def _weasyprint():
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: pango missing
        raise PdfUnavailable(str(error)) from error
    return weasyprint


def static_path(url: str) -> Path | None:
    """The file behind a /static/... URL of ours (the finders first, as in
    development, then STATIC_ROOT after collectstatic), or None."""
    path = unquote(urlsplit(url).path)
    prefix = settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/static/"
    if not path.startswith(prefix):
        return None
    relative = path[len(prefix) :]
    if not relative or ".." in Path(relative).parts:
        return None
    found = finders.find(relative)
    if found:
        return Path(found)
    if settings.STATIC_ROOT:
        try:
            candidate = Path(safe_join(settings.STATIC_ROOT, relative))
        except Exception:  # SuspiciousFileOperation: outside STATIC_ROOT
            return None
        if candidate.is_file():
            return candidate
    return None


def _fetcher_class():
    weasyprint = _weasyprint()
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves our static files and inline data: URLs; refuses everything else
        (WeasyPrint then leaves the resource out and logs a warning)."""

        def __init__(self, base_url: str):
            super().__init__(allowed_protocols=("data",))
            self.host = urlsplit(base_url).netloc
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            parts = urlsplit(url)
            found = None
            if parts.scheme in ("http", "https") and parts.netloc == self.host:
                found = static_path(url)
            if found is None:
                self.refused.append(url)
                raise ValueError(f"refused: {url}")
            kind = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, found.read_bytes(), {"Content-Type": kind})

    return weasyprint, StaticOnlyFetcher


def pdf_from_html(html: str, *, base_url: str = BASE_URL) -> bytes:
    """The PDF of an HTML document (A4 unless its stylesheet says otherwise)."""
    weasyprint, fetcher_class = _fetcher_class()
    fetcher = fetcher_class(base_url)
    return weasyprint.HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()


def pdf_response(
    request, template_name: str, context: dict, *, filename: str, as_attachment: bool = True
) -> HttpResponse:
    """The template rendered to a PDF and sent under a Chinese file name; never
    cached (the document holds personal data and changes as records do)."""
    html = render_to_string(template_name, context, request=request)
    try:
        pdf = pdf_from_html(html)
    except PdfUnavailable:
        response = render(
            request,
            "summaries/pdf_unavailable.html",
            {"message": _("服务器未安装 PDF 生成组件,请使用本页的“打印”功能,或联系管理员。")},
            status=503,
        )
        response["Cache-Control"] = "no-store"
        return response
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment, filename)
    response["Content-Length"] = str(len(pdf))
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
