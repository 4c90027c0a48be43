"""Exports past EXPORT_INLINE_MAX_ROWS as background jobs: the threshold, the
run (file written under a temporary name, then done), progress, the download
(its requester only, logged), expiry, the sweeper and leftovers of a killed run."""

import datetime
import io

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from members.models import BodyRole, ExportLog
from summaries import jobs
from summaries.exports import KINDS
from summaries.models import ExportJob

from .conftest import YEAR

S = ExportJob.Status
PERIOD = {"date_from": f"{YEAR}-01-01", "date_to": f"{YEAR}-12-31"}


def start(client, user, body, **data):
    client.force_login(user)
    fields = {"body": body.pk, **PERIOD, **data}
    return client.post(
        reverse("summaries:export_run", args=["attendance"]),
        {f"attendance-{k}": v for k, v in fields.items()},
    )


@pytest.fixture
def low_threshold(settings):
    settings.EXPORT_INLINE_MAX_ROWS = 2


def test_a_small_export_downloads_at_once(client, world, attendance):
    response = start(client, world.staff, world.body)

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert not ExportJob.objects.exists()


def test_a_big_export_becomes_a_job_and_its_page(client, world, attendance, low_threshold):
    # when staff export 4 rows with a threshold of 2
    response = start(client, world.staff, world.body)

    # then a queued job with the rows counted, and its page
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("summaries:export_job", args=[job.pk])
    assert (job.requested_by, job.kind, job.status, job.total) == (
        world.staff,
        "attendance",
        S.QUEUED,
        4,
    )
    assert job.params == {"body": world.body.pk, **PERIOD}
    page = client.get(response["Location"]).content.decode()
    assert "排队中" in page and "js/job-progress.js" in page and "<script>" not in page
    assert "江城市政协" in page and f"{YEAR}-01-01 – {YEAR}-12-31" in page  # its filters
    assert client.get(reverse("summaries:export_job_status", args=[job.pk])).json() == {
        "status": "queued",
        "status_label": "排队中",
        "active": True,
        "done": 0,
        "total": 4,
        "percent": 0,
        "message": "",
    }
    assert not ExportLog.objects.exists()  # nothing delivered yet


def test_a_job_writes_its_file_privately_and_only_its_requester_downloads_it(
    client, world, attendance, low_threshold, export_files, settings
):
    start(client, world.staff, world.body)
    job = ExportJob.objects.get()

    # when a worker runs it
    job = jobs.export_job_run(job.pk)

    # then done, its file in the private directory, not under MEDIA_ROOT
    assert (job.status, job.done, job.total, job.attempts) == (S.DONE, 4, 4, 1)
    path = export_files / job.file_name
    assert path.exists() and path.suffix == ".xlsx"
    assert not list(export_files.glob("*.part"))
    assert not str(path).startswith(str(settings.MEDIA_ROOT))
    assert job.size == path.stat().st_size
    assert job.expires_at == job.finished_at + datetime.timedelta(hours=24)
    assert (
        client.get(reverse("summaries:export_job_status", args=[job.pk])).json()["percent"] == 100
    )
    page = client.get(reverse("summaries:export_job", args=[job.pk])).content.decode()
    assert reverse("summaries:export_job_download", args=[job.pk]) in page

    # and the requester downloads it, logged
    response = client.get(reverse("summaries:export_job_download", args=[job.pk]))
    assert "filename*=utf-8''" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book["出席情况"].max_row == 3 + 4
    log = ExportLog.objects.get()
    assert (log.user, log.what, log.rows) == (world.staff, "出席情况", 4)
    assert log.filters.startswith(f"导出任务 {job.pk}")

    # nobody else: another staff member of the same body, leadership, an admin
    colleague = world.leader
    BodyRole.objects.create(user=colleague, body=world.body, role=BodyRole.Role.STAFF)
    for user in (colleague, world.admin, world.other_staff):
        client.force_login(user)
        for name in ("export_job", "export_job_status", "export_job_download"):
            assert client.get(reverse(f"summaries:{name}", args=[job.pk])).status_code == 404
    assert ExportLog.objects.count() == 1


def test_progress_is_reported_every_n_rows(world, attendance, settings, low_threshold):
    settings.EXPORT_JOB_PROGRESS_ROWS = 1
    job = jobs.export_job_start(
        user=world.staff,
        kind=KINDS["attendance"],
        params={"body": world.body.pk, **PERIOD},
        total=4,
    )
    seen = []
    real = jobs._Run.progress

    def spy(run, done):
        seen.append(done)
        real(run, done)

    jobs._Run.progress = spy
    try:
        jobs.export_job_run(job.pk)
    finally:
        jobs._Run.progress = real
    assert seen == [1, 2, 3, 4]


def test_expiry_deletes_the_file_and_marks_the_job(
    client, world, attendance, low_threshold, export_files
):
    start(client, world.staff, world.body)
    job = jobs.export_job_run(ExportJob.objects.get().pk)
    path = export_files / job.file_name

    # not yet
    assert jobs.export_files_expire(now=job.expires_at - datetime.timedelta(minutes=1)) == 0
    assert path.exists()

    # past the expiry
    assert jobs.export_files_expire(now=job.expires_at) == 1

    job.refresh_from_db()
    assert (job.status, job.file_name) == (S.EXPIRED, "")
    assert not path.exists()
    assert client.get(reverse("summaries:export_job_download", args=[job.pk])).status_code == 404
    assert (
        "文件已过期删除"
        in client.get(reverse("summaries:export_job", args=[job.pk])).content.decode()
    )
    assert jobs.export_files_expire(now=timezone.now() + datetime.timedelta(days=2)) == 0


def test_a_requester_who_lost_access_gets_a_failed_job_and_no_file(world, attendance, export_files):
    job = jobs.export_job_start(
        user=world.staff,
        kind=KINDS["attendance"],
        params={"body": world.body.pk, **PERIOD},
        total=4,
    )
    BodyRole.objects.filter(user=world.staff).delete()
    world.staff.__dict__.pop("_lvzhi_viewer", None)

    job = jobs.export_job_run(job.pk)

    assert job.status == S.FAILED
    assert job.message == "您已无权导出这些数据,或数据已不存在"
    assert job.file_name == ""
    assert not list(export_files.glob("*"))


def test_a_new_run_deletes_what_a_killed_run_left(world, attendance, export_files):
    job = jobs.export_job_start(
        user=world.staff,
        kind=KINDS["attendance"],
        params={"body": world.body.pk, **PERIOD},
        total=4,
    )
    export_files.mkdir(parents=True, exist_ok=True)
    leftover = export_files / f"job-{job.pk}-deadbeef.part"
    leftover.write_bytes(b"PK half a file")

    job = jobs.export_job_run(job.pk)

    assert job.status == S.DONE
    assert not leftover.exists()
    assert [p.name for p in export_files.iterdir()] == [job.file_name]


def test_a_job_cannot_be_done_without_its_file(world):
    job = ExportJob.objects.create(requested_by=world.staff, kind="attendance", label="出席情况")
    with pytest.raises(IntegrityError), transaction.atomic():
        ExportJob.objects.filter(pk=job.pk).update(status=S.DONE)


def test_the_sweeper_requeues_a_job_whose_worker_is_gone_and_fails_it_at_last(world, settings):
    job = ExportJob.objects.create(
        requested_by=world.staff,
        kind="attendance",
        label="出席情况",
        status=S.RUNNING,
        attempts=1,
        runner="gone:1:x",
        heartbeat_at=timezone.now() - datetime.timedelta(minutes=5),
    )

    assert jobs.export_jobs_sweep() == {"requeued": 1, "resent": 0, "failed": 0}
    job.refresh_from_db()
    assert (job.status, job.runner) == (S.QUEUED, "")
    assert job.message == "执行导出的工作进程已中断,已重新排队(已尝试 1 次)"

    ExportJob.objects.filter(pk=job.pk).update(
        status=S.RUNNING, attempts=settings.EXPORT_JOB_MAX_ATTEMPTS
    )
    assert jobs.export_jobs_sweep() == {"requeued": 0, "resent": 0, "failed": 1}
    job.refresh_from_db()
    assert job.status == S.FAILED
    assert job.message == "导出尝试 3 次均未完成(工作进程中断),已停止;请重新导出"


def test_the_sweeper_resends_a_job_queued_too_long(world):
    job = ExportJob.objects.create(
        requested_by=world.staff,
        kind="attendance",
        label="出席情况",
        queued_at=timezone.now() - datetime.timedelta(minutes=5),
    )
    fresh = ExportJob.objects.create(requested_by=world.staff, kind="attendance", label="出席情况")

    assert jobs.export_jobs_sweep() == {"requeued": 0, "resent": 1, "failed": 0}
    job.refresh_from_db()
    fresh.refresh_from_db()
    assert job.message == "排队较久仍未开始,已重新发送给工作进程"
    assert fresh.message == ""


def test_the_page_lists_my_jobs_only(client, world, attendance, low_threshold):
    start(client, world.staff, world.body)
    client.force_login(world.leader)
    assert "出席情况" not in client.get(reverse("summaries:exports")).context["jobs"].__repr__()
    client.force_login(world.staff)
    assert list(client.get(reverse("summaries:exports")).context["jobs"]) == [
        ExportJob.objects.get()
    ]
