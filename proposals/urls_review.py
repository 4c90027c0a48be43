# Filled in by the work on this area; spliced into the "proposals" namespace by proposals/urls.py.
urlpatterns = []
