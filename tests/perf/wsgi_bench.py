"""WSGI entry point for the benchmark: the portal as in production, on plain HTTP at 127.0.0.1.

``gunicorn tests.perf.wsgi_bench:application`` with ``STATIC_ROOT`` pointing at the output of
``collectstatic`` (``bench_catalogue.py`` prepares both). DEBUG is off, so pages are rendered as
they are in production (cached templates, WhiteNoise's manifest storage); the HTTPS-only settings
are turned off because the load generator talks plain HTTP to the loopback address. The URLconf
is the portal's plus ``/bench/bare/`` (``tests.perf.urls``); workers warm up as production's
(``portal.wsgi``).
"""

import os
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "benchmark-only-key-never-used-for-a-real-site-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("SITE_URL", "http://127.0.0.1")
os.environ.setdefault("SITE_URL", "http://127.0.0.1")
os.environ["SECURE_SSL_REDIRECT"] = "0"
os.environ["SESSION_COOKIE_SECURE"] = "0"
os.environ["CSRF_COOKIE_SECURE"] = "0"
os.environ.setdefault("LOG_LEVEL", "WARNING")

from django.conf import settings  # noqa: E402
from django.core.exceptions import ImproperlyConfigured  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

# Set before the first request resolves a URL; nothing has read it yet at this point.
settings.ROOT_URLCONF = "tests.perf.urls"

if not (Path(settings.STATIC_ROOT) / "staticfiles.json").is_file():
    raise ImproperlyConfigured(
        f"No staticfiles manifest in STATIC_ROOT={settings.STATIC_ROOT}: run "
        "`manage.py collectstatic` with DEBUG=0 and the same STATIC_ROOT first "
        "(tests/perf/bench_catalogue.py does)."
    )

application = get_wsgi_application()

# As portal.wsgi: each worker loads the views and the templates as it starts, then keeps them
# out of the garbage collector's full collections.
from portal.warmup import settle, warm  # noqa: E402

warm()
settle()
