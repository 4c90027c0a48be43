"""Rows for the exports (导出 Excel): the page, running an export, and a
background job's page, polled state and download.

`export_job` is the staff member's finished attendance export of the body (one
activity, one participation). Staff and leadership export (leadership reads:
exporting is reading); the other body's staff get the form back with the body
refused; a job and its file are its requester's only: 404 to everyone else,
administrators included."""

import datetime

from django.utils import timezone

from duties.models import Activity, Participation
from summaries import jobs
from summaries.exports import KINDS
from tests import factories as f
from tests.matrix import Row

DAY = datetime.date(2024, 3, 5)


def prepare(world):
    when = timezone.make_aware(datetime.datetime.combine(DAY, datetime.time(9)))
    activity = f.ActivityFactory(
        term=world.term,
        starts_at=when,
        ends_at=when + datetime.timedelta(hours=2),
        signup_deadline=when - datetime.timedelta(days=1),
        status=Activity.Status.CONFIRMED,
    )
    Participation.objects.create(activity=activity, member=world.member, attendance="attended")
    params = {"body": world.body.pk, "activity": activity.pk}
    world.export_job = jobs.export_job_start(
        user=world.staff, kind=KINDS["attendance"], params=params, total=1
    )
    jobs.export_job_run(world.export_job.pk)


def _job(w):
    return {"pk": w.export_job.pk}


def _period(w):
    return {
        "attendance-body": w.body.pk,
        "attendance-date_from": "2024-01-01",
        "attendance-date_to": "2024-12-31",
    }


NO_POST = "302 405 405 405 405 405 405 405 405"
OWN_JOB = "302 404 404 404 200 404 404 404 404"

ROWS = {
    "summaries:exports": Row(None, get="302 403 403 403 200 200 200 200 403", post=NO_POST),
    # staff, leadership and admins get the file; the other body's staff the form again
    "summaries:export_run": Row(
        lambda w: {"kind": "attendance"},
        get=NO_POST,
        post="302 403 403 403 200 200 200 200 403",
        data=_period,
    ),
    "summaries:export_job": Row(_job, get=OWN_JOB, post=NO_POST),
    "summaries:export_job_status": Row(_job, get=OWN_JOB, post=NO_POST),
    "summaries:export_job_download": Row(_job, get=OWN_JOB, post=NO_POST),
}
