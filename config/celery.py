import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("lvzhi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _periodic_jobs(sender, **kwargs):
    # Each app keeps its beat schedule beside its tasks (importing them from
    # settings would load models before Django is ready).
    from duties.tasks import BEAT_SCHEDULE as duties_jobs
    from proposals.tasks import BEAT_SCHEDULE as proposals_jobs
    from scoring.tasks import ANNUAL_BEAT_SCHEDULE as annual_jobs
    from scoring.tasks import BEAT_SCHEDULE as scoring_jobs
    from summaries.tasks import BEAT_SCHEDULE as export_jobs

    sender.conf.beat_schedule = {
        **duties_jobs,
        **proposals_jobs,
        **scoring_jobs,
        **annual_jobs,
        **export_jobs,
    }
