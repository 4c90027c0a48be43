from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError

from members.login_log import login_refused


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        # Accounts are made by staff from the roster (members.accounts); nobody signs up.
        return False

    def pre_authenticate(self, request, **credentials):
        # allauth refuses here, before the password is checked, once the rate
        # limit is reached; Django's user_login_failed is not sent for that.
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            login_refused(request, credentials)
            raise
