# Filled in by the work on this area; included into the duties namespace by duties/urls.py.
urlpatterns = []
