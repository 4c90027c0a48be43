"""Rows for computing periods (季度通报与考核): the periods page with its form,
a job's page and its polled state.

`job` is a queued computation of the body's 2025 fourth quarter (the
rulebook is the published R1 of tests/matrix/scoring.py). Staff of the body
start computations, leadership reads; staff of the other body see the page
with their own (no) periods and may not choose this body."""

from scoring import jobs, services
from tests.matrix import Row


def prepare(world):
    period = services.period_open(body=world.body, year=2025, quarter=4)
    world.job = jobs.period_compute_start(period=period, by=world.staff)


def _job(w):
    return {"pk": w.job.pk}


GET_ONLY = "302 405 405 405 405 405 405 405 405"
READ = "302 404 404 404 200 404 200 200 404"

ROWS = {
    # Staff and admins are sent to the new job's page; the other body's staff
    # get the form again (this body is not theirs to choose).
    "scoring:periods": Row(
        None,
        get="302 403 403 403 200 200 200 200 403",
        post="302 403 403 403 302 200 403 302 403",
        data=lambda w: {"body": w.body.pk, "year": 2025, "quarter": 3},
    ),
    "scoring:job_detail": Row(_job, get=READ, post=GET_ONLY),
    "scoring:job_status": Row(_job, get=READ, post=GET_ONLY),
}
