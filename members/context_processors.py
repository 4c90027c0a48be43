from members.models import Notice
from members.permissions import viewer_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    viewer = viewer_for(user)
    return {
        "viewer": viewer,
        "unread_notice_count": Notice.objects.for_user(user).unread().count(),
    }
