"""Routing to handling units, the units' inbox and replies, rating, closing and
overdue routings; spliced into the "proposals" namespace by proposals/urls.py."""

from django.urls import path

from proposals import unit_views

urlpatterns = [
    path("units/", unit_views.units, name="units"),
    path("units/new/", unit_views.unit_new, name="unit_new"),
    path("units/<int:pk>/", unit_views.unit_edit, name="unit_edit"),
    path("units/<int:pk>/contacts/new/", unit_views.unit_contact_new, name="unit_contact_new"),
    path("units/<int:pk>/contacts/link/", unit_views.unit_contact_link, name="unit_contact_link"),
    path(
        "units/<int:pk>/contacts/remove/",
        unit_views.unit_contact_remove,
        name="unit_contact_remove",
    ),
    path("inbox/", unit_views.inbox, name="inbox"),
    path("overdue/", unit_views.overdue, name="overdue"),
    path("routings/<int:pk>/", unit_views.routing, name="routing"),
    path("routings/<int:pk>/object/", unit_views.object_, name="object"),
    path("routings/<int:pk>/progress/", unit_views.progress, name="progress"),
    path("routings/<int:pk>/reply/", unit_views.reply, name="reply"),
    path("routings/<int:pk>/reassign/", unit_views.reassign, name="reassign"),
    path("replies/<int:pk>/file/", unit_views.reply_file, name="reply_file"),
    path("<int:pk>/route/", unit_views.route, name="route"),
    path("<int:pk>/rate/", unit_views.rate, name="rate"),
    path("<int:pk>/close/", unit_views.close, name="close"),
]
