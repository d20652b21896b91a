"""The portal's URLs plus ``/bench/bare/``: the floor that every page is measured against.

The bare view goes through the same middleware and makes one database round trip, so the ratio
of a page's throughput to the bare view's shows what the page itself costs.
"""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


def bare(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *portal_urlpatterns]
