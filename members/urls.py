from django.urls import path

from members import roster_views, views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("<int:pk>/", views.member_detail, name="detail"),
    path("<int:pk>/edit/", views.member_edit, name="edit"),
    path("<int:pk>/leave/", views.member_leave, name="leave"),
    path("<int:pk>/contact/", views.contact_edit, name="contact_edit"),
    path("<int:pk>/photo/", views.member_photo, name="photo"),
    path("<int:pk>/reinstate/", views.member_reinstate, name="reinstate"),
    path("<int:pk>/honours/new/", views.honour_add, name="honour_add"),
    path("<int:pk>/long-leave/", views.long_leave_add, name="long_leave_add"),
    path(
        "<int:pk>/long-leave/<int:leave_pk>/withdraw/",
        views.long_leave_withdraw,
        name="long_leave_withdraw",
    ),
    path("terms/<int:term_id>/new/", views.member_create, name="create"),
    path("terms/<int:term_id>/carry-over/", views.term_carry_over, name="carry_over"),
    path("accounts/", views.accounts, name="accounts"),
    path("roster/import/", roster_views.roster_import, name="roster_import"),
    path(
        "roster/import/confirm/", roster_views.roster_import_confirm, name="roster_import_confirm"
    ),
    path("roster/export/", roster_views.roster_export, name="roster_export"),
    path("directory/export/", roster_views.directory_export, name="directory_export"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/<int:pk>/read/", views.notice_read, name="notice_read"),
    path("notices/read-all/", views.notice_read_all, name="notice_read_all"),
]
