"""QR check-in, the sign-in sheet import and the calendar feed; included into
the duties namespace by duties/urls.py."""

from django.urls import path

from duties import checkin_views as views

urlpatterns = [
    path("<int:pk>/checkin/screen/", views.checkin_screen, name="checkin_screen"),
    path("<int:pk>/checkin/qr/", views.checkin_qr, name="checkin_qr"),
    path("<int:pk>/checkin/<int:window>/<slug:token>/", views.checkin, name="checkin"),
    path("<int:pk>/sheet/", views.sheet_import, name="sheet_import"),
    path("<int:pk>/sheet/confirm/", views.sheet_import_confirm, name="sheet_import_confirm"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/reset/", views.calendar_reset, name="calendar_reset"),
    path("calendar/<slug:token>.ics", views.calendar_feed, name="calendar_feed"),
]
