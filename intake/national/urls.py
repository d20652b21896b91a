"""The national portal's inbound API (intake/national/, docs/national.md)."""

from django.urls import path

from intake.national import api as national_api

urlpatterns = [
    path("api/v1/online-dossiers", national_api.online_dossiers, name="api_online_dossiers"),
]
