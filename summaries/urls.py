"""The leadership summaries, the printable pack, the member's annual record,
the exports and the imports."""

from django.urls import path

from summaries import record_views, views

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
]
