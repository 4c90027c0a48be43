"""The Content Security Policy middleware, with one allowance for the admin.

Django's admin (and django-import-export's and simple-history's admin pages)
still write a few inline styles: a <style> block on change lists without
actions, style="" on the export form and the history paginator. Blocking them
only misplaces a border, but it fills the console with violations on every
admin page, hiding a real one. So under the admin, and only there, inline
styles are allowed; inline scripts never are (the admin has none)."""

from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts
from django.urls import reverse


class CSPMiddleware(BaseCSPMiddleware):
    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and request.path_info.startswith(reverse("admin:index")):
            parts.update = {**(parts.update or {}), "style-src": [UNSAFE_INLINE]}
        return parts
