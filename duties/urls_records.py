"""The duty record, self-reported duties and disputes; included into the duties
namespace by duties/urls.py."""

from django.urls import path

from duties import record_views as views

urlpatterns = [
    path("records/mine/", views.my_record, name="my_record"),
    path("records/<int:member_pk>/", views.record, name="record"),
    path("self-reported/", views.duty_list, name="duty_list"),
    path("self-reported/new/", views.duty_new, name="duty_new"),
    path("self-reported/review/", views.duty_review_queue, name="duty_review_queue"),
    path("self-reported/<int:pk>/", views.duty_detail, name="duty_detail"),
    path("self-reported/<int:pk>/edit/", views.duty_edit, name="duty_edit"),
    path("self-reported/<int:pk>/verify/", views.duty_verify, name="duty_verify"),
    path("self-reported/<int:pk>/return/", views.duty_return, name="duty_return"),
    path("self-reported/attachments/<int:pk>/", views.attachment, name="attachment"),
    path("disputes/", views.dispute_list, name="dispute_list"),
    path("disputes/new/<str:model>/<int:object_id>/", views.dispute_new, name="dispute_new"),
    path("disputes/<int:pk>/resolve/", views.dispute_resolve, name="dispute_resolve"),
]
