"""The periods page and a job's page: what staff and leadership see, starting
a computation from the form (its refusals next to the fields), the page that
follows a running job and its JSON, and their cost in queries."""

import datetime
import json

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from scoring import jobs, services
from scoring.models import Score, ScoreJob, ScorePeriod

from .test_jobs import eager, scored  # noqa: F401  (eager: a fixture)
from .test_services import published, small
from .test_worked_members_through_the_app import YEAR, App

S = ScoreJob.Status


@pytest.fixture
def app(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return App(world)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _start(app, quarter=0) -> ScoreJob:
    p = services.period_open(body=app.body, year=YEAR, quarter=quarter)
    return jobs.period_compute_start(period=p, by=app.staff)


def _post(client, app, year=YEAR, quarter=1):
    return client.post(
        reverse("scoring:periods"), {"body": app.body.pk, "year": year, "quarter": quarter}
    )


# The periods page ---------------------------------------------------------------------


def test_staff_see_their_periods_with_the_latest_job_and_a_form(client, app):
    published(app)
    job = _start(app, quarter=2)
    jobs.score_job_run(job.pk)
    client.force_login(app.staff)

    response = client.get(reverse("scoring:periods"))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="compute-form"' in page
    assert f"{YEAR} 第 2 季度" in page
    assert reverse("scoring:job_detail", args=[job.pk]) in page and "已完成" in page
    assert "重新计算" in page  # a draft computed before
    assert reverse("scoring:periods") in client.get(reverse("home")).content.decode()


def test_leadership_reads_the_periods_but_may_not_start(client, app):
    published(app)
    _start(app, quarter=2)
    client.force_login(app.world.leader)

    page = client.get(reverse("scoring:periods")).content.decode()

    assert f"{YEAR} 第 2 季度" in page and "排队中" in page
    assert "compute-form" not in page and "重新计算" not in page
    assert _post(client, app).status_code == 403
    assert not ScoreJob.objects.filter(period__quarter=1).exists()


def test_staff_of_another_body_see_none_of_its_periods(client, app):
    published(app)
    _start(app, quarter=2)
    client.force_login(app.world.other_staff)

    page = client.get(reverse("scoring:periods")).content.decode()
    refused = _post(client, app)

    assert "第 2 季度" not in page and app.body.name not in page
    assert refused.status_code == 200
    assert "选择一个有效的选项" in refused.content.decode()  # not a body of theirs
    assert not ScoreJob.objects.filter(period__quarter=1).exists()


@pytest.mark.usefixtures("eager")
def test_staff_start_a_quarter_and_are_sent_to_its_job(
    client, app, django_capture_on_commit_callbacks
):
    scored(app)
    client.force_login(app.staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, app, quarter=1)

    job = ScoreJob.objects.get()
    assert response.url == reverse("scoring:job_detail", args=[job.pk])
    assert _messages(response) == [f"已开始计算{YEAR} 年第 1 季度通报"]
    assert (job.period.quarter, job.requested_by, job.status) == (1, app.staff, S.DONE)
    assert Score.objects.filter(period=job.period).count() == 7


def test_a_refusal_is_shown_next_to_its_field(client, app):
    client.force_login(app.staff)

    no_rulebook = _post(client, app, quarter=1)

    assert no_rulebook.status_code == 200
    errors = no_rulebook.content.decode().split('id="id_year_errors"')[1].split("</ul>")[0]
    assert f"{YEAR} 年度还没有已发布的计分规则,请先导入并发布" in errors
    assert not ScorePeriod.objects.exists()

    published(app)
    final = services.period_open(body=app.body, year=YEAR, quarter=1)
    ScorePeriod.objects.filter(pk=final.pk).update(status=ScorePeriod.Status.FINAL)
    page = _post(client, app, quarter=1).content.decode()
    errors = page.split('id="id_quarter_errors"')[1].split("</ul>")[0]
    assert "已定稿,不能重新计算" in errors
    assert not ScoreJob.objects.exists()


def test_starting_again_while_a_job_is_active_leads_to_that_job(client, app):
    published(app)
    active = _start(app, quarter=1)
    client.force_login(app.staff)

    response = _post(client, app, quarter=1)

    assert response.url == reverse("scoring:job_detail", args=[active.pk])
    assert _messages(response) == [f"{YEAR} 年第 1 季度通报已有一个计算任务(排队中),请等它完成"]
    assert ScoreJob.objects.count() == 1


def test_the_periods_page_does_not_grow_with_periods_and_jobs(
    client, app, django_assert_num_queries
):
    published(app)
    _start(app, quarter=1)
    client.force_login(app.staff)
    # session, user, the viewer's roles and seats, the bodies of the form's
    # choices, the periods with their body and latest job (subqueries), the
    # notices badge, the user's name, and the session saved in a savepoint (3)
    with django_assert_num_queries(11):
        assert client.get(reverse("scoring:periods")).status_code == 200
    for year in (YEAR - 2, YEAR - 1):
        published(app, small(year), year=year)
        for quarter in (0, 1, 2, 3, 4):
            job = jobs.period_compute_start_for(
                body=app.body, year=year, quarter=quarter, by=app.staff
            )
            jobs.score_job_run(job.pk)
    with django_assert_num_queries(11):
        page = client.get(reverse("scoring:periods")).content.decode()
    assert page.count("已完成") == 10


# A job's page -------------------------------------------------------------------------


def test_a_queued_job_page_follows_the_job_with_a_script_of_our_own(client, app):
    published(app)
    job = _start(app)
    client.force_login(app.staff)

    page = client.get(reverse("scoring:job_detail", args=[job.pk])).content.decode()

    assert f"{YEAR} 年度考核" in page and "排队中" in page and "等待开始" in page
    assert 'data-job-active="true"' in page
    assert reverse("scoring:job_status", args=[job.pk]) in page
    assert '<script src="/static/js/job-progress.js" defer>' in page
    assert "http://" not in page and "https://" not in page  # no outside assets
    assert "计算结果" not in page and "重新计算" not in page  # not while it is active


def test_a_done_job_page_shows_the_result_and_stops_following(client, app):
    scored(app)
    job = jobs.score_job_run(_start(app).pk)
    client.force_login(app.staff)

    page = client.get(reverse("scoring:job_detail", args=[job.pk])).content.decode()

    assert 'data-job-active="false"' in page and "job-progress.js" not in page
    assert "共计算 7 名委员,其中参加考核 7 名,得分明细 14 条。" in page
    assert f"{reverse('scoring:periods')}#period-{job.period_id}" in page
    assert "重新计算" in page


def test_leadership_reads_a_job_without_the_button(client, app):
    scored(app)
    job = jobs.score_job_run(_start(app).pk)
    client.force_login(app.world.leader)

    page = client.get(reverse("scoring:job_detail", args=[job.pk])).content.decode()

    assert "已完成" in page and "重新计算" not in page


def test_the_state_a_job_page_polls(client, app):
    published(app)
    job = _start(app)
    ScoreJob.objects.filter(pk=job.pk).update(
        status=S.RUNNING,
        phase="evaluating",
        done=40,
        total=160,
        attempts=1,
        heartbeat_at=timezone.now() - datetime.timedelta(seconds=3),
    )
    client.force_login(app.world.leader)

    response = client.get(reverse("scoring:job_status", args=[job.pk]))

    state = json.loads(response.content)
    assert response["Cache-Control"].startswith("max-age=0")
    assert state["heartbeat_age"] in (3, 4)
    del state["heartbeat_age"], state["heartbeat_label"]
    assert state == {
        "id": job.pk,
        "status": "running",
        "status_label": "计算中",
        "active": True,
        "phase": "evaluating",
        "phase_label": "计算委员得分",
        "done": 40,
        "total": 160,
        "percent": 25,
        "attempts": 1,
        "message": "",
        "result": None,
    }


def test_a_job_page_costs_the_same_queries_whatever_the_job(client, app, django_assert_num_queries):
    scored(app)
    queued = _start(app)
    done = jobs.score_job_run(_start(app, quarter=1).pk)
    client.force_login(app.staff)
    for job in (queued, done):
        # session, user, the job with its period, body and requester's person,
        # the viewer's roles and seats, the notices badge, the user's name, the
        # session saved in a savepoint (3)
        with django_assert_num_queries(10):
            assert client.get(reverse("scoring:job_detail", args=[job.pk])).status_code == 200
        # session, user, the job, the viewer's roles and seats, the session
        # saved in a savepoint (3)
        with django_assert_num_queries(8):
            assert client.get(reverse("scoring:job_status", args=[job.pk])).status_code == 200
