import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

# The URLconf, the views and (in production) the templates are loaded now, when the worker
# starts, not by its first requests; then kept out of the garbage collector's full collections
# (portal.warmup).
from portal.warmup import settle, warm  # noqa: E402

warm()
settle()
