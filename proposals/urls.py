from proposals import urls_handling, urls_review

app_name = "proposals"
urlpatterns = [*urls_review.urlpatterns, *urls_handling.urlpatterns]
