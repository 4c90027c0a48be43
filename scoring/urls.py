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
