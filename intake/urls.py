from django.urls import path  # noqa: F401  (each views module adds its routes below)

from intake import api
from intake.views import book, counter, lookup, slips

app_name = "intake"
urlpatterns = []

# Public lookup (docs/lookup.md): the form, the QR link on the receipt slip, the JSON API.
urlpatterns += [
    path("tra-cuu/", lookup.lookup, name="lookup"),
    path("tra-cuu/<str:code>/<str:token>/", lookup.lookup_signed, name="lookup_signed"),
    path("api/v1/dossiers/<str:code>", api.dossier, name="api_dossier"),
]

# The one-stop counter (intake/views/counter.py) and the staff page of a dossier.
urlpatterns += [
    path("mot-cua/", counter.counter_home, name="counter"),
    path("mot-cua/tiep-nhan/", counter.choose_procedure, name="choose_procedure"),
    path("mot-cua/tiep-nhan/<str:code>/", counter.receive_dossier, name="receive"),
    path("mot-cua/bien-nhan/<uuid:token>/", counter.reception_outcome, name="reception"),
    path("ho-so/<str:code>/", counter.dossier_detail, name="dossier"),
]

# The counter's printed forms (intake/views/slips.py) and the tracking book (intake/views/book.py).
urlpatterns += [
    path("mot-cua/bien-nhan/<uuid:token>/mau-<str:form>.pdf", slips.slip_pdf, name="slip_pdf"),
    path("mot-cua/so-theo-doi/", book.book, name="book"),
]
