from django.urls import path

from scoring import jobs_views, review_views, views

app_name = "scoring"
urlpatterns = [
    path("rulebooks/", views.rulebook_list, name="rulebooks"),
    path("rulebooks/new/", views.rulebook_create, name="rulebook_new"),
    path("rulebooks/<int:pk>/", views.rulebook_detail, name="rulebook_detail"),
    path("rulebooks/<int:pk>/download/", views.rulebook_download, name="rulebook_download"),
    path("rulebooks/<int:pk>/edit/", views.rulebook_edit, name="rulebook_edit"),
    path("rulebooks/<int:pk>/publish/", views.rulebook_publish, name="rulebook_publish"),
    path("periods/", jobs_views.period_list, name="periods"),
    path("jobs/<int:pk>/", jobs_views.job_detail, name="job_detail"),
    path("jobs/<int:pk>/status/", jobs_views.job_status, name="job_status"),
    # the quarterly review (季度通报)
    path("periods/<int:pk>/", review_views.period_detail, name="period_detail"),
    path("periods/<int:pk>/publish/", review_views.period_publish, name="period_publish"),
    path("periods/<int:pk>/finalise/", review_views.period_finalise, name="period_finalise"),
    path("periods/<int:pk>/reopen/", review_views.period_reopen, name="period_reopen"),
    path("periods/<int:pk>/mine/", review_views.period_mine, name="period_mine"),
    path("scores/<int:pk>/", review_views.score_receipt, name="score_receipt"),
    path("scores/<int:pk>/adjust/", review_views.score_adjust, name="score_adjust"),
    path("lines/<int:pk>/dispute/", review_views.line_dispute, name="line_dispute"),
    path("mine/", review_views.my_scores, name="mine"),
]

# The year: annual assessment, history import, duty reports, checklists, what-if.
from scoring import annual_views  # noqa: E402

urlpatterns += [
    path("annual/", annual_views.annual_index, name="annual_index"),
    path("annual/<int:body_pk>/<int:year>/", annual_views.annual_page, name="annual"),
    path(
        "annual/<int:body_pk>/<int:year>/groups/",
        annual_views.annual_groups,
        name="annual_groups",
    ),
    path("annual/history/import/", annual_views.history_import_page, name="history_import"),
    path(
        "annual/history/import/confirm/",
        annual_views.history_import_confirm,
        name="history_import_confirm",
    ),
    path("annual/reports/<int:pk>/", annual_views.duty_report_detail, name="duty_report"),
    path("annual/reports/<int:pk>/file/", annual_views.duty_report_file, name="duty_report_file"),
    path("report/", annual_views.my_duty_report, name="my_duty_report"),
    path("checklist/", annual_views.my_checklist, name="my_checklist"),
    path("checklists/", annual_views.checklists_index, name="checklists_index"),
    path("checklists/<int:body_pk>/<int:year>/", annual_views.checklists_page, name="checklists"),
    path(
        "checklists/<int:body_pk>/<int:year>/reminders/",
        annual_views.checklist_reminders,
        name="checklist_reminders",
    ),
    path(
        "checklists/reminders/<int:pk>/delete/",
        annual_views.checklist_reminder_delete,
        name="checklist_reminder_delete",
    ),
    path("whatif/", annual_views.whatif_page, name="whatif"),
]
