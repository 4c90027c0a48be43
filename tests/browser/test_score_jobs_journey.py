"""Staff compute a quarter from a phone, and a job's page follows the job by
itself until it is done (scoring/jobs_views.py, static/js/job-progress.js)."""

import pytest
from playwright.sync_api import expect

from scoring import jobs, services
from scoring.models import ScoreJob
from scoring.tests.test_services import published
from scoring.tests.test_worked_members_through_the_app import YEAR, App

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def eager():
    # The computation started from the form runs in the server, as in the
    # embedded default, whatever broker the suite has.
    from config.celery import app as celery

    before, celery.conf.task_always_eager = celery.conf.task_always_eager, True
    yield
    celery.conf.task_always_eager = before


def test_staff_start_a_quarter_on_a_phone_and_its_page_follows_the_job(
    world, eager, login_as, outside_requests, console_errors
):
    # given the body's rulebook of the year, published
    app = App(world)
    published(app)
    page = login_as("staff")

    # when staff open the periods from the menu and compute the first quarter
    page.get_by_role("button", name="菜单").click()
    page.get_by_role("button", name="机关工作").click()
    page.get_by_role("link", name="季度通报与考核").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("季度通报与考核")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_label("年度").fill(str(YEAR))
    page.get_by_label("评分期").select_option(label="第一季度通报")
    page.get_by_role("button", name="开始计算").click()

    # then its job's page shows the draft computed (eagerly, here)
    expect(page.get_by_test_id("job-result")).to_contain_text("共计算 4 名委员")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # given a job waiting for a worker, its page open
    period = services.period_open(body=app.body, year=YEAR, quarter=2)
    waiting = ScoreJob.objects.create(period=period, requested_by=world.staff)  # its message sent
    page.goto(page.url.rsplit("/jobs/", 1)[0] + f"/jobs/{waiting.pk}/")
    expect(page.get_by_test_id("job")).to_contain_text("排队中")
    expect(page.get_by_test_id("job-result")).to_have_count(0)

    # when a worker runs it
    jobs.score_job_run(waiting.pk)

    # then the page notices by itself and shows the result
    expect(page.get_by_test_id("job-result")).to_contain_text("共计算 4 名委员", timeout=15_000)
    expect(page.get_by_test_id("job")).to_contain_text("已完成")
    assert outside_requests == []
    assert console_errors == []
