"""The error page of an uncaught exception: a lost database connection (a
PostgreSQL restart, a failover) is a 503 that says to try again shortly, not
a 500 that says something is broken; connection health checks
(CONN_HEALTH_CHECKS) reconnect on the next request."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.views import defaults
from django.views.decorators.csrf import requires_csrf_token

RETRY_AFTER_SECONDS = 30


@requires_csrf_token
def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    error = sys.exc_info()[1]  # Django calls this inside its `except` block
    if isinstance(error, (OperationalError, InterfaceError)):
        # A plain template rendered without the request: nothing that needs the database.
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return defaults.server_error(request, template_name)
