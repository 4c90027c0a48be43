"""The leadership summaries, the printable pack, the exports and the imports."""

app_name = "summaries"

urlpatterns = []
