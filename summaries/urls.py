"""The leadership summaries, the printable pack, the member's annual record,
the exports and the imports."""

from django.urls import path

from summaries import export_views, import_views, record_views, views

app_name = "summaries"

urlpatterns = [
    path("", views.summary_index, name="index"),
    path("<int:body_pk>/<int:year>/", views.annual_summary, name="annual"),
    path("<int:body_pk>/<int:year>/q<int:quarter>/", views.quarter_summary, name="quarter"),
    path(
        "<int:body_pk>/<int:year>/sectors/<int:sector_pk>/",
        views.sector_summary,
        name="sector",
    ),
    path("<int:body_pk>/<int:year>/groups/<int:group_pk>/", views.group_summary, name="group"),
    path("<int:body_pk>/<int:year>/lower/", views.lower_summary, name="lower"),
    path("<int:body_pk>/<int:year>/pack/", views.annual_pack, name="annual_pack"),
    path("<int:body_pk>/<int:year>/pack.pdf", views.annual_pack_pdf, name="annual_pack_pdf"),
    path(
        "members/<int:member_id>/<int:year>/",
        record_views.member_record,
        name="member_record",
    ),
    path(
        "members/<int:member_id>/<int:year>/pdf/",
        record_views.member_record_pdf,
        name="member_record_pdf",
    ),
    # exports (summaries/export_views.py)
    path("exports/", export_views.export_page, name="exports"),
    path("exports/run/<slug:kind>/", export_views.export_run, name="export_run"),
    path("exports/jobs/<int:pk>/", export_views.job_detail, name="export_job"),
    path("exports/jobs/<int:pk>/status/", export_views.job_status, name="export_job_status"),
    path("exports/jobs/<int:pk>/download/", export_views.job_download, name="export_job_download"),
    path("imports/", import_views.imports_index, name="imports"),
    path("imports/<slug:slug>/", import_views.import_page, name="import"),
    path("imports/<slug:slug>/template.xlsx", import_views.import_template, name="import_template"),
    path("imports/<slug:slug>/confirm/", import_views.import_confirm, name="import_confirm"),
]
