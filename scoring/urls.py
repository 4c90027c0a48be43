from django.urls import path

from scoring import jobs_views, views

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
]
