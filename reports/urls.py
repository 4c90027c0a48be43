from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("", views.report_mine, name="mine"),
    path("new/", views.report_create, name="create"),
    path("all/", views.report_list, name="list"),
    path("all/export/", views.report_export, name="export"),
    path("queue/", views.report_queue, name="queue"),
    path("stats/", views.report_stats, name="stats"),
    path("bulletin/<int:year>/<int:issue>/", views.bulletin, name="bulletin"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/edit/", views.report_edit, name="edit"),
    path("<int:pk>/submit/", views.report_submit, name="submit"),
    path("<int:pk>/withdraw/", views.report_withdraw, name="withdraw"),
    path("<int:pk>/accept/", views.report_accept, name="accept"),
    path("<int:pk>/use/", views.report_use, name="use"),
    path("<int:pk>/not-used/", views.report_not_use, name="not_used"),
    path("<int:pk>/adoptions/add/", views.adoption_add, name="adoption_add"),
    path("<int:pk>/instructions/add/", views.instruction_add, name="instruction_add"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
]
