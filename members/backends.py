from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from members.models import mobile_validator


class UsernameOrMobileBackend(ModelBackend):
    """Log in with a username or with the mobile number on the person's record.

    Members have no email on file; many remember their phone number better than
    a username."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if not username or password is None:
            return None
        username = username.strip()
        user_model = get_user_model()
        user = user_model._default_manager.filter(username=username).first()
        if user is None and self._looks_like_mobile(username):
            user = user_model._default_manager.filter(person__mobile=username).first()
        if user is None:
            user_model().set_password(password)  # same cost as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    @staticmethod
    def _looks_like_mobile(value: str) -> bool:
        try:
            mobile_validator(value)
        except Exception:
            return False
        return True
