"""The one-stop counter's addresses (intake/counter/views/reception.py) and the tracking book
(intake/counter/views/book.py)."""

from django.urls import path

from intake.counter.views import book
from intake.counter.views import reception as counter

urlpatterns = [
    path("mot-cua/", counter.counter_home, name="counter"),
    path("mot-cua/tiep-nhan/", counter.choose_procedure, name="choose_procedure"),
    path("mot-cua/tiep-nhan/<str:code>/", counter.receive_dossier, name="receive"),
    path("mot-cua/bien-nhan/<uuid:token>/", counter.reception_outcome, name="reception"),
    path("mot-cua/so-theo-doi/", book.book, name="book"),
]
