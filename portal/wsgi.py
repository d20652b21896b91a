import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# The URLconf and every view module are loaded now, when the worker starts, not by its first
# request: they import the PDF, spreadsheet and signing libraries (about a second, which the
# first visitor of each worker waited for).
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018
