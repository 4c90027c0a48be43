from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = _("履职评分")

    def ready(self):
        # Score lines register how they are disputed; load the registry in every process.
        from scoring import review  # noqa: F401
