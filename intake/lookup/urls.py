"""The public lookup's addresses (docs/lookup.md): the form, the QR link on the receipt slip, the
JSON API, and the rating posted from the lookup page."""

from django.urls import path

from intake.lookup import api
from intake.lookup import views as lookup

urlpatterns = [
    path("tra-cuu/", lookup.lookup, name="lookup"),
    path("tra-cuu/<str:code>/<str:token>/", lookup.lookup_signed, name="lookup_signed"),
    path("api/v1/dossiers/<str:code>", api.dossier, name="api_dossier"),
    path(
        "tra-cuu/<str:code>/<str:token>/danh-gia/",
        lookup.lookup_rating,
        name="lookup_rating",
    ),
]
