from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DutiesConfig(AppConfig):
    name = "duties"
    verbose_name = _("履职活动")

    def ready(self):
        # Records register how they are disputed; load the registry in every process.
        from duties import disputes  # noqa: F401
