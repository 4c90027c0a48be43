from django.urls import path

from duties import urls_checkin, urls_records, views

app_name = "duties"
urlpatterns = [
    path("", views.menu, name="menu"),
    path("new/", views.activity_create, name="activity_new"),
    path("<int:pk>/", views.activity_detail, name="activity"),
    path("<int:pk>/edit/", views.activity_edit, name="activity_edit"),
    path("<int:pk>/publish/", views.activity_publish, name="publish"),
    path("<int:pk>/cancel/", views.activity_cancel, name="cancel"),
    path("<int:pk>/confirm/", views.list_confirm, name="confirm"),
    path("<int:pk>/signup/", views.signup, name="signup"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/leave/", views.leave_request, name="leave"),
    path("<int:pk>/attendance/", views.attendance, name="attendance"),
    path("<int:pk>/attendance/all-present/", views.mark_all_present, name="mark_all_present"),
    path("<int:pk>/list/add/", views.list_add, name="list_add"),
    path("<int:pk>/list/remove/", views.list_remove, name="list_remove"),
    path("participations/<int:pk>/leave/", views.leave_decide, name="leave_decide"),
    path("kinds/", views.kind_list, name="kinds"),
    path("kinds/new/", views.kind_edit, name="kind_new"),
    path("kinds/<int:pk>/", views.kind_edit, name="kind_edit"),
    *urls_checkin.urlpatterns,
    *urls_records.urlpatterns,
]
