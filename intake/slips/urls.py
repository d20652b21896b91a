"""The printed forms (intake/slips/views.py). A form issued again for one reception (02) by its
place among them, ``mau-02-2.pdf``: before the route that would read "02-2" as the form; form 06
from the dossier's history."""

from django.urls import path

from intake.slips import views as slips

urlpatterns = [
    path(
        "mot-cua/bien-nhan/<uuid:token>/mau-<str:form>-<int:ordinal>.pdf",
        slips.slip_pdf,
        name="slip_pdf",
    ),
    path("mot-cua/bien-nhan/<uuid:token>/mau-<str:form>.pdf", slips.slip_pdf, name="slip_pdf"),
    path("ho-so/<str:code>/mau-06.pdf", slips.control_slip, name="control_slip"),
]
