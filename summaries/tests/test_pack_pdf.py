"""The annual pack as a PDF made on the server: the summary's headings and
figures read back from the file, the CJK font embedded, every page an image
that is not blank, the download logged; leadership may have it, members not."""

import logging
import os
from pathlib import Path
from urllib.parse import quote

import pytest
from django.urls import reverse

from members.models import ExportLog
from summaries.tests.helpers import YEAR, leader_of
from summaries.tests.pdf_checks import (
    MIN_INK,
    pdf_fonts,
    pdf_pages_as_png,
    pdf_text,
    require_pdf_tools,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def renderer():
    require_pdf_tools()


def test_the_annual_pack_as_a_pdf(client, body, tmp_path):
    leader = leader_of(body)
    client.force_login(leader)

    response = client.get(reverse("summaries:annual_pack_pdf", args=[body.pk, YEAR]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    name = f"{body.name}{YEAR}年度履职总结.pdf"
    assert f"filename*=utf-8''{quote(name)}" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    summary = response.context["summary"]
    text = pdf_text(response.content)
    for heading in ("年度履职总结", "总体情况", "等次分布", "界别比较", "提案", "社情民意信息"):
        assert heading in text, heading
    assert body.name in text
    assert str(summary.members) in text and str(summary.average) in text
    # the toolbar is for the screen only
    assert "下载 PDF" not in text

    fonts = pdf_fonts(response.content)
    assert fonts and all(font.embedded for font in fonts)
    assert any(font.is_cjk for font in fonts)

    pages = pdf_pages_as_png(
        response.content,
        out_dir=Path(os.environ.get("LVZHI_PDF_PNG_DIR") or tmp_path),
        name="pack",
    )
    assert len(pages) >= 2
    assert all(page.ink >= MIN_INK for page in pages)

    log = ExportLog.objects.get()
    assert (log.user, log.what) == (leader, "年度履职总结 PDF")


def test_members_get_no_pack(client, body):
    member = f.member_with_login(term=body.terms.get(is_current=True), number="9003")
    client.force_login(member.person.user)
    assert client.get(reverse("summaries:annual_pack_pdf", args=[body.pk, YEAR])).status_code == 403


def test_making_the_pdf_leaves_no_warnings_in_the_log(client, body, caplog):
    client.force_login(leader_of(body))

    with caplog.at_level(logging.WARNING):
        response = client.get(reverse("summaries:annual_pack_pdf", args=[body.pk, YEAR]))

    assert response.status_code == 200
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []
