"""The leadership summaries, the printable pack, the exports and the imports."""

from django.urls import path

from summaries import export_views

app_name = "summaries"

urlpatterns = [
    # exports (summaries/export_views.py)
    path("exports/", export_views.export_page, name="exports"),
    path("exports/run/<slug:kind>/", export_views.export_run, name="export_run"),
    path("exports/jobs/<int:pk>/", export_views.job_detail, name="export_job"),
    path("exports/jobs/<int:pk>/status/", export_views.job_status, name="export_job_status"),
    path("exports/jobs/<int:pk>/download/", export_views.job_download, name="export_job_download"),
]
