"""The leadership summaries, the printable pack, the exports and the imports."""

from django.urls import path

from summaries import import_views

app_name = "summaries"

urlpatterns = [
    path("imports/", import_views.imports_index, name="imports"),
    path("imports/<slug:slug>/", import_views.import_page, name="import"),
    path("imports/<slug:slug>/template.xlsx", import_views.import_template, name="import_template"),
    path("imports/<slug:slug>/confirm/", import_views.import_confirm, name="import_confirm"),
]
