from django.urls import path  # noqa: F401  (each views module adds its routes below)

from intake import api
from intake.views import lookup

app_name = "intake"
urlpatterns = []

# Public lookup (docs/lookup.md): the form, the QR link on the receipt slip, the JSON API.
urlpatterns += [
    path("tra-cuu/", lookup.lookup, name="lookup"),
    path("tra-cuu/<str:code>/<str:token>/", lookup.lookup_signed, name="lookup_signed"),
    path("api/v1/dossiers/<str:code>", api.dossier, name="api_dossier"),
]
