from django.urls import path

from sectors import views

app_name = "sectors"
urlpatterns = [
    path("", views.body_list, name="bodies"),
    path("bodies/<int:pk>/", views.body_detail, name="body"),
    path("<str:kind>/new/<int:parent_pk>/", views.org_create, name="create"),
    path("<str:kind>/<int:pk>/edit/", views.org_edit, name="edit"),
    path("<str:kind>/<int:pk>/delete/", views.org_delete, name="delete"),
]
