# PLACEHOLDER so the URLs resolve while the roster views are being written; replace this whole file.
from django.http import HttpResponse


def roster_import(request):
    return HttpResponse("")


roster_import_confirm = roster_export = directory_export = roster_import
