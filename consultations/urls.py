from django.urls import path

from consultations import views

app_name = "consultations"
urlpatterns = [
    path("", views.consultation_list, name="list"),
    path("new/", views.consultation_create, name="create"),
    path("<int:pk>/", views.consultation_detail, name="detail"),
    path("<int:pk>/edit/", views.consultation_edit, name="edit"),
    path("<int:pk>/participants/add/", views.participant_add, name="participant_add"),
    path(
        "<int:pk>/participants/<int:member_pk>/remove/",
        views.participant_remove,
        name="participant_remove",
    ),
    path("<int:pk>/outsiders/add/", views.outsider_add, name="outsider_add"),
    path("outsiders/<int:pk>/remove/", views.outsider_remove, name="outsider_remove"),
    path("<int:pk>/suggestions/add/", views.suggestion_add, name="suggestion_add"),
    path("<int:pk>/outcome/", views.outcome_set, name="outcome"),
    path("<int:pk>/followups/add/", views.followup_add, name="followup_add"),
    path("<int:pk>/solve/", views.consultation_solve, name="solve"),
    path("online/", views.online_list, name="online_list"),
    path("online/new/", views.online_create, name="online_create"),
    path("online/<int:pk>/", views.online_detail, name="online_detail"),
    path("online/<int:pk>/edit/", views.online_edit, name="online_edit"),
    path("online/<int:pk>/comment/", views.comment_post, name="comment_post"),
    path("comments/<int:pk>/hide/", views.comment_hide, name="comment_hide"),
]
