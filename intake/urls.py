"""Every address of the intake app: each package lists its own in its ``urls.py``; Django tries
them in this order (the routes do not overlap, and the ``<action:action>`` converter of processing
only matches the processing actions' slugs, so other pages under ``/ho-so/<code>/`` never fall
into the action view)."""

from django.urls import include, path

app_name = "intake"

PACKAGES = [
    "lookup",
    "results",
    "counter",
    "processing",
    "documents",
    "slips",
    "watch",
    "reports",
    "petitions",
    "scorecard",
    "online",
    "national",
    "payments",
]

urlpatterns = [path("", include(f"intake.{package}.urls")) for package in PACKAGES]
