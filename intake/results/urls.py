"""The result document, signed (docs/results.md): staff page and actions, the applicant's download
through the QR link's token, the public verification page."""

from django.urls import path

from intake.results import views as results

urlpatterns = [
    path("ho-so/<str:code>/ket-qua/", results.result_page, name="result"),
    path("ho-so/<str:code>/ket-qua/dinh-kem/", results.result_attach, name="result_attach"),
    path("ho-so/<str:code>/ket-qua/ky/", results.result_sign, name="result_sign"),
    path("ho-so/<str:code>/ket-qua/in-mau/", results.result_print, name="result_print"),
    path("ho-so/<str:code>/ket-qua/ban-goc.pdf", results.result_file, name="result_file"),
    path(
        "ho-so/<str:code>/ket-qua/ban-da-ky.pdf",
        results.result_file,
        {"signed": True},
        name="result_signed_file",
    ),
    path(
        "tra-cuu/<str:code>/<str:token>/ket-qua.pdf",
        results.lookup_result_pdf,
        name="lookup_result_pdf",
    ),
    path("xac-thuc/", results.verify, name="verify"),
]
