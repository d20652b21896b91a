"""Feedback and petitions (intake/petitions/, docs/petitions.md): the citizens' form (the contact
confirmed by a one-time code), the follow page, the public answers; the staff's register, the
petition's page and its verbs."""

from django.urls import path

from intake.petitions.views import public as petitions
from intake.petitions.views import staff as petition_staff

urlpatterns = [
    path("phan-anh-kien-nghi/", petitions.start, name="petitions"),
    path("phan-anh-kien-nghi/gui/", petitions.write, name="petition_write"),
    path("phan-anh-kien-nghi/theo-doi/", petitions.follow, name="petition_follow"),
    path(
        "phan-anh-kien-nghi/theo-doi/<str:code>/<str:token>/",
        petitions.followed,
        name="petition_followed",
    ),
    path(
        "phan-anh-kien-nghi/theo-doi/<str:code>/<str:token>/lam-ro/",
        petitions.follow_clarify,
        name="petition_follow_clarify",
    ),
    path(
        "phan-anh-kien-nghi/theo-doi/<str:code>/<str:token>/danh-gia/",
        petitions.follow_rate,
        name="petition_follow_rate",
    ),
    path("phan-anh-kien-nghi/da-tra-loi/", petitions.answered, name="petitions_answered"),
    path(
        "phan-anh-kien-nghi/da-tra-loi/<str:code>/",
        petitions.answered_one,
        name="petition_answered",
    ),
    path("so-phan-anh/", petition_staff.register, name="petition_register"),
    path("so-phan-anh/so.xlsx", petition_staff.register_xlsx, name="petition_register_xlsx"),
    path("so-phan-anh/so.pdf", petition_staff.register_pdf, name="petition_register_pdf"),
    path("so-phan-anh/them/", petition_staff.enter, name="petition_enter"),
    path("so-phan-anh/<str:code>/", petition_staff.petition_page, name="petition"),
    path(
        "so-phan-anh/<str:code>/tep/<int:number>/",
        petition_staff.petition_file,
        name="petition_file",
    ),
    path(
        "so-phan-anh/<str:code>/<str:action>/",
        petition_staff.petition_action,
        name="petition_action",
    ),
]
