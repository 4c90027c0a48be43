"""The leadership summaries, the printable pack, the exports and the imports."""

from django.urls import path

from summaries import record_views

app_name = "summaries"

urlpatterns = [
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
