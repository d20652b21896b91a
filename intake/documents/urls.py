"""The scans of a dossier's documents, line by line (intake/documents/views.py)."""

from django.urls import path

from intake.documents import views as documents

urlpatterns = [
    path("ho-so/<str:code>/giay-to/<int:number>/", documents.document_scan, name="document_scan"),
]
