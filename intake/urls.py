from django.urls import path  # noqa: F401  (each views module adds its routes below)

app_name = "intake"
urlpatterns = []
