"""Processing (intake/processing/views/inbox.py, intake/processing/views/dossier.py): the staff
inbox, the page of a dossier with its actions (one POST endpoint per action), and its attached
files."""

from django.urls import path, register_converter

from intake.processing.views import actions, inbox
from intake.processing.views import dossier as processing

register_converter(actions.ActionConverter, "action")

urlpatterns = [
    path("xu-ly/", inbox.inbox, name="inbox"),
    path("ho-so/<str:code>/", processing.dossier_detail, name="dossier"),
    path("ho-so/<str:code>/<action:action>/", processing.dossier_action, name="dossier_action"),
    path("ho-so/<str:code>/tep/<int:number>/", processing.attachment, name="attachment"),
]
