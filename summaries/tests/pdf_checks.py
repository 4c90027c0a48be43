"""What the tests of a server-made PDF look at, for any test that makes one:
its text (pypdf), its fonts and whether each is embedded, and its pages as
images (pypdfium2), each checked not blank and saved for a human to look at.

    pdf = response.content
    assert "履职档案" in pdf_text(pdf)
    assert any(f.embedded and f.is_cjk for f in pdf_fonts(pdf))
    for page in pdf_pages_as_png(pdf, out_dir=tmp_path):
        assert page.ink > MIN_INK, page.path
"""

import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

# A page counts as blank below this share of non-white pixels; a page of our
# documents with a heading and a table has a few percent.
MIN_INK = 0.005
CJK_NAME = re.compile(r"CJK|Han|SC|TC|Hei|Song|Ming|Kai|Fang|Yahei", re.IGNORECASE)


def require_pdf_tools():
    """Skip when the renderer or the test tools are missing, unless CI asks
    for them (LVZHI_REQUIRE_BROWSER=1, which `make browser-deps` installs for)."""
    from summaries.pdf import PdfUnavailable, _weasyprint

    try:
        _weasyprint()
        import pypdf  # noqa: F401
        import pypdfium2  # noqa: F401
    except (PdfUnavailable, ImportError) as error:
        if os.environ.get("LVZHI_REQUIRE_BROWSER"):
            raise
        pytest.skip(f"PDF renderer or tools missing (make browser-deps): {error}")


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def page_count(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


@dataclass(frozen=True)
class FontInfo:
    name: str  # the BaseFont, with its subset tag (ABCDEF+Noto-Sans-CJK-SC)
    subtype: str  # /Type0, /TrueType, /Type1 ...
    embedded: bool  # a FontFile, FontFile2 or FontFile3 in its descriptor

    @property
    def is_subset(self) -> bool:
        return bool(re.match(r"^[A-Z]{6}\+", self.name))

    @property
    def is_cjk(self) -> bool:
        return bool(CJK_NAME.search(self.name.split("+")[-1]))


def _descriptor_embeds(font) -> bool:
    descriptor = font.get("/FontDescriptor")
    if descriptor is None:
        return False
    descriptor = descriptor.get_object()
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def pdf_fonts(pdf: bytes) -> list[FontInfo]:
    """Every font the pages use, once by name; a Type0 font is embedded when
    its descendant font's descriptor holds the font program."""
    from pypdf import PdfReader

    fonts: dict[str, FontInfo] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        resources = page.get("/Resources")
        if resources is None:
            continue
        resources = resources.get_object()
        for ref in (resources.get("/Font") or {}).values():
            font = ref.get_object()
            embedded = _descriptor_embeds(font)
            for descendant in font.get("/DescendantFonts") or []:
                embedded = embedded or _descriptor_embeds(descendant.get_object())
            name = str(font.get("/BaseFont", ""))
            fonts[name] = FontInfo(name.lstrip("/"), str(font.get("/Subtype")), embedded)
    return list(fonts.values())


@dataclass(frozen=True)
class PageImage:
    number: int  # from 1
    path: Path
    ink: float  # share of pixels that are not (near) white


def pdf_pages_as_png(pdf: bytes, *, out_dir: Path | None = None, name: str = "page", scale=1.5):
    """Each page rendered to a PNG, saved under out_dir (by default
    LVZHI_PDF_PNG_DIR, else a new temporary directory) for a human to look at."""
    import pypdfium2 as pdfium

    out_dir = Path(
        out_dir or os.environ.get("LVZHI_PDF_PNG_DIR") or tempfile.mkdtemp(prefix="lvzhi-pdf-")
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    document = pdfium.PdfDocument(pdf)
    pages = []
    try:
        for index in range(len(document)):
            image = document[index].render(scale=scale).to_pil().convert("L")
            path = out_dir / f"{name}-{index + 1}.png"
            image.save(path)
            histogram = image.histogram()
            dark = sum(histogram[:240])
            pages.append(PageImage(index + 1, path, dark / (image.width * image.height)))
    finally:
        document.close()
    return pages
