"""Online filing on this portal and the online reception inbox (intake/online/, docs/online.md)."""

from django.urls import path

from intake.online.views import applicant as online_applicant
from intake.online.views import filing as online_filing
from intake.online.views import inbox as online_inbox

urlpatterns = [
    path("thu-tuc/<str:code>/nop-truc-tuyen/", online_filing.file_online, name="file_online"),
    path(
        "thu-tuc/<str:code>/nop-truc-tuyen/<uuid:token>/",
        online_filing.draft_page,
        name="online_draft",
    ),
    path(
        "thu-tuc/<str:code>/nop-truc-tuyen/<uuid:token>/da-nop/",
        online_filing.done,
        name="online_done",
    ),
    path("mot-cua/truc-tuyen/", online_inbox.online_inbox, name="online_inbox"),
    path("mot-cua/truc-tuyen/<str:code>/", online_inbox.online_check, name="online_check"),
    path(
        "tra-cuu/<str:code>/<str:token>/bo-sung/", online_applicant.complete, name="online_complete"
    ),
    path(
        "tra-cuu/<str:code>/<str:token>/mau-<str:form>.pdf",
        online_applicant.slip,
        name="online_slip",
    ),
]
