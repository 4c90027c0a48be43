"""PDFs made on the server: the member's annual record read back as text,
its fonts embedded (a CJK subset), its pages as images that are not blank
(saved for a human to look at: LVZHI_PDF_PNG_DIR, else the test's tmp dir);
static files are the only resources a document may load; without the
renderer the view says so in Chinese and the print page still works.

Skipped without WeasyPrint, pango or the test tools, unless
LVZHI_REQUIRE_BROWSER is set (CI), which makes them required."""

import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.urls import reverse
from PIL import Image

from members.models import ExportLog
from scoring.models import Score
from summaries import pdf
from summaries.tests.pdf_checks import (
    MIN_INK,
    page_count,
    pdf_fonts,
    pdf_pages_as_png,
    pdf_text,
    require_pdf_tools,
)
from summaries.tests.record_makers import YEAR, app, scored_year, year_of

__all__ = ["app", "scored_year"]  # fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def renderer():
    require_pdf_tools()


@pytest.fixture
def png_dir(tmp_path):
    import os

    return Path(os.environ.get("LVZHI_PDF_PNG_DIR") or tmp_path)


def pdf_url(member, year=YEAR):
    return reverse("summaries:member_record_pdf", args=[member.pk, year])


def test_the_members_record_as_a_pdf(client, world, scored_year, png_dir):
    member = world.member
    annual = Score.objects.get(period=scored_year["annual"], member=member)
    client.force_login(member.person.user)

    response = client.get(pdf_url(member))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    name = f"{member.person.name}{YEAR}年度履职档案.pdf"
    assert f"filename*=utf-8''{quote(name)}" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    document = response.content
    assert document.startswith(b"%PDF-")

    text = pdf_text(document)
    assert "履职档案" in text and member.person.name in text and "江城市政协" in text
    for heading in ("一、基本情况", "二、履职概况", "三、履职考核", "四、参加履职活动"):
        assert heading in text
    for heading in ("五、自报履职(已核实)", "六、提案", "七、社情民意信息", "八、表彰"):
        assert heading in text
    assert f"{annual.total:.2f}" in text and annual.total > Decimal(0)
    assert annual.grade in text
    assert "出席活动(次)" in text
    assert "关于加快城市更新的建议之1" in text and "优秀政协委员1" in text
    assert "第 1 页 / 共" in text
    log = ExportLog.objects.get()
    assert (log.user, log.what, log.rows) == (member.person.user, "年度履职档案 PDF", 1)
    assert member.number in log.filters

    fonts = pdf_fonts(document)
    assert fonts and all(font.embedded for font in fonts), fonts
    cjk = [font for font in fonts if font.is_cjk]
    assert cjk and all(font.is_subset for font in cjk), fonts
    assert any("Noto" in font.name and "CJK" in font.name for font in cjk), fonts

    pages = pdf_pages_as_png(document, out_dir=png_dir, name="member-record")
    assert len(pages) == page_count(document) >= 2
    for page in pages:
        assert page.path.exists()
        assert page.ink > MIN_INK, f"page {page.number} looks blank: {page.path}"


def test_a_long_year_stays_readable_page_after_page(client, app, world, png_dir):
    year_of(app, world.member, activities=40, proposals=6, reports=6, honours=2)
    client.force_login(world.staff)

    document = client.get(pdf_url(world.member)).content

    pages = pdf_pages_as_png(document, out_dir=png_dir, name="member-record-long")
    assert len(pages) >= 3
    assert all(page.ink > MIN_INK for page in pages), [(p.number, p.ink) for p in pages]
    text = pdf_text(document)
    # the table's header is repeated on the pages it runs over
    assert text.count("出勤") >= 2
    assert f"第 {len(pages)} 页 / 共 {len(pages)} 页" in text


def test_the_pdf_is_refused_to_those_who_may_not_read_the_record(client, world):
    client.force_login(world.other_member.person.user)
    assert client.get(pdf_url(world.member)).status_code == 404
    client.logout()
    assert client.get(pdf_url(world.member)).status_code == 302


# The renderer --------------------------------------------------------------------------


def _square(path: Path) -> Path:
    Image.new("RGB", (200, 200), "black").save(path)
    return path


def test_documents_load_our_static_files_and_nothing_else(settings, tmp_path, png_dir):
    static = tmp_path / "static"
    static.mkdir()
    _square(static / "square.png")
    outside = _square(tmp_path / "outside.png")
    settings.STATICFILES_DIRS = [static]
    page = (
        '<html><body style="margin:0"><img src="{}" style="width:150mm;height:150mm"></body></html>'
    )

    ours = pdf.pdf_from_html(page.format("/static/square.png"))
    from_disk = pdf.pdf_from_html(page.format(outside.as_uri()))
    from_afar = pdf.pdf_from_html(page.format("http://example.com/static/square.png"))

    assert pdf_pages_as_png(ours, out_dir=png_dir, name="static")[0].ink > 0.3
    for document in (from_disk, from_afar):
        assert pdf_pages_as_png(document, out_dir=png_dir, name="refused")[0].ink < MIN_INK


def test_the_fetcher_refuses_other_hosts_schemes_and_paths_outside_static():
    _weasyprint, fetcher_class = pdf._fetcher_class()
    fetcher = fetcher_class(pdf.BASE_URL)
    css = fetcher.fetch(pdf.BASE_URL + "static/css/record-print.css")
    assert b"@page" in css.read() and css.content_type == "text/css"
    for url in (
        "http://example.com/static/css/record-print.css",
        "file:///etc/passwd",
        pdf.BASE_URL + "static/../config/settings/base.py",
        pdf.BASE_URL + "static/%2e%2e/manage.py",
        pdf.BASE_URL + "media/photos/x.png",
        "ftp://lvzhi.invalid/static/css/record-print.css",
    ):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 6


def test_collected_static_files_are_read_when_the_finders_do_not_know_them(settings, tmp_path):
    # In production {% static %} names the hashed copy that only collectstatic made.
    settings.STATIC_ROOT = tmp_path
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "record-print.0123abcd.css").write_text("@page { size: A4 }")
    found = pdf.static_path("http://lvzhi.invalid/static/css/record-print.0123abcd.css")
    assert found == tmp_path / "css" / "record-print.0123abcd.css"
    assert pdf.static_path("http://lvzhi.invalid/static/css/missing.css") is None
    assert pdf.static_path("http://lvzhi.invalid/elsewhere/css/record-print.css") is None


def test_without_the_renderer_the_pdf_says_so_and_the_print_page_works(client, world, monkeypatch):
    # As on a machine without WeasyPrint: importing it fails.
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    client.force_login(world.member.person.user)

    response = client.get(pdf_url(world.member))

    assert response.status_code == 503
    assert "服务器未安装 PDF 生成组件" in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert not ExportLog.objects.exists()
    page = reverse("summaries:member_record", args=[world.member.pk, YEAR])
    assert client.get(page).status_code == 200
