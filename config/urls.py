from django.contrib import admin
from django.urls import include, path

from members import views as member_views

urlpatterns = [
    path("", member_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("members/", include("members.urls")),
    path("org/", include("sectors.urls")),
    path("duties/", include("duties.urls")),
    path("proposals/", include("proposals.urls")),
    path("consultations/", include("consultations.urls")),
    path("reports/", include("reports.urls")),
    path("scoring/", include("scoring.urls")),
    path("summaries/", include("summaries.urls")),
    path("admin/", admin.site.urls),
]

handler500 = "config.views.server_error"
