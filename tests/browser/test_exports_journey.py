"""Staff start a big export from the export page (the inline threshold set
low), its job page follows the job by itself while a worker writes it: the
progress bar moves and then the download link appears; the file downloads and
opens (summaries/export_views.py, static/js/job-progress.js)."""

import threading

import pytest
from django.db import connection
from openpyxl import load_workbook
from playwright.sync_api import expect

from summaries import jobs
from summaries.models import ExportJob
from summaries.tests.conftest import YEAR, at, attend, past_activity
from tests import factories as f
from tests.browser.conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROWS = 8


@pytest.fixture
def queued_only():
    # The job stays queued, as when every worker is busy; this test is its worker.
    from config.celery import app as celery

    before, celery.conf.task_always_eager = celery.conf.task_always_eager, False
    yield
    celery.conf.task_always_eager = before


@pytest.fixture
def big(settings, tmp_path, world):
    settings.EXPORT_FILES_ROOT = tmp_path / "exports"
    settings.EXPORT_INLINE_MAX_ROWS = 3
    settings.EXPORT_JOB_PROGRESS_ROWS = 1
    settings.EXPORT_JOB_PAUSE_SECONDS = 1
    settings.EXPORT_JOB_HEARTBEAT_SECONDS = 1
    activity = past_activity(world, theme="全体委员视察", when=at(3, 5))
    for n in range(ROWS):
        member = f.MemberFactory(term=world.term, sector=world.sector, number=f"7{n:03d}")
        attend(activity, member, "attended")
    return activity


def test_staff_watch_a_big_export_reach_its_download_link(
    world, big, queued_only, login_as, outside_requests, console_errors, tmp_path
):
    page = login_as("staff", viewport=PHONE)

    # when staff open the export page from the menu and export a period's attendance
    page.get_by_role("button", name="菜单").click()
    # the phone menu slides open; a click while it still moves can be lost
    expect(page.locator("#mainnav.show")).to_be_visible()
    page.get_by_role("button", name="机关工作").click()
    page.get_by_role("link", name="导出 Excel").click()
    page.wait_for_url("**/summaries/exports/**")
    expect(page.get_by_role("heading", level=1)).to_have_text("导出 Excel")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    form = page.get_by_test_id("export-attendance")
    form.get_by_label("开始日期").fill(f"{YEAR}-01-01")
    form.get_by_label("结束日期").fill(f"{YEAR}-12-31")
    form.get_by_role("button", name="导出").click()

    # then the job's page, queued
    expect(page.get_by_test_id("job")).to_contain_text("排队中")
    job = ExportJob.objects.get()
    assert job.total == ROWS
    expect(page.get_by_test_id("download")).to_have_count(0)

    # when a worker runs it, a row a second
    def work():
        try:
            jobs.export_job_run(job.pk)
        finally:
            connection.close()  # this thread's own, or the test database stays in use

    worker = threading.Thread(target=work)
    worker.start()
    try:
        # then the page shows it running, the bar moving, and then the link
        expect(page.get_by_test_id("job")).to_contain_text("生成中", timeout=15_000)
        expect(page.locator("[data-job=progress]")).not_to_have_text(f"0 / {ROWS}", timeout=15_000)
        bar = page.get_by_test_id("job-progress")
        assert 0 < float(bar.evaluate("b => b.value")) <= ROWS
        expect(page.get_by_test_id("download")).to_be_visible(timeout=30_000)
    finally:
        worker.join(60)
    expect(page.get_by_test_id("job")).to_contain_text("已完成")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(tmp_path / "export-job-done.png"), full_page=True)

    # and the file downloads and opens, the title and every row in it
    with page.expect_download() as download_info:
        page.get_by_test_id("download").click()
    path = tmp_path / "download.xlsx"
    download_info.value.save_as(path)
    assert download_info.value.suggested_filename == "江城市政协委员参加履职活动出席情况.xlsx"
    ws = load_workbook(path)["出席情况"]
    assert ws["A1"].value == "江城市政协委员参加履职活动出席情况"
    assert ws["A3"].value == "委员编号"
    assert ws.max_row == 3 + ROWS
    assert outside_requests == []
    assert console_errors == []
