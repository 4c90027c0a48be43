from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("委员")

    def ready(self):
        from django.contrib.auth.signals import user_login_failed

        from members.login_log import login_failed

        user_login_failed.connect(login_failed, dispatch_uid="lvzhi-login-failed")
