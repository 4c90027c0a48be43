"""Drafting, joint signing, review, lists and statistics; spliced into the
"proposals" namespace by proposals/urls.py."""

from django.urls import path

from proposals import views

urlpatterns = [
    path("", views.proposal_list, name="list"),
    path("mine/", views.mine, name="mine"),
    path("new/", views.proposal_create, name="new"),
    path("export/", views.export, name="export"),
    path("stats/", views.stats, name="stats"),
    path("review/", views.review_queue, name="review_queue"),
    path("topics/", views.topics, name="topics"),
    path("topics/new/", views.topic_create, name="topic_new"),
    path("topics/<int:pk>/withdraw/", views.topic_withdraw, name="topic_withdraw"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("<int:pk>/", views.proposal_detail, name="detail"),
    path("<int:pk>/edit/", views.proposal_edit, name="edit"),
    path("<int:pk>/invite/", views.invite, name="invite"),
    path("<int:pk>/answer/", views.answer, name="answer"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/accept/", views.accept, name="accept"),
    path("<int:pk>/reject/", views.reject, name="reject"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("<int:pk>/convert/", views.convert, name="convert"),
    path("<int:pk>/flag/", views.flag, name="flag"),
]
