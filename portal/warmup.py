"""What a web worker loads when it starts rather than in its first requests: the URLconf with
every view module (they import the PDF, spreadsheet and signing libraries) and its reverse
indexes, the ``holidays`` package's days, and in production every template compiled into the
cached loader. Each worker's first visitors waited about a
second for these, once per page. Nothing here touches the database: gunicorn may load the
application before it forks its workers.

Then ``settle`` takes what the worker holds by now out of the garbage collector's full
collections (``gc.freeze``): those objects live as long as the process, and walking them in a
full collection, which a heavy page starts every twenty requests or so, added 115–156 ms to
that request (docs/deployment.md)."""

from __future__ import annotations

import gc
from datetime import date
from pathlib import Path

from django.conf import settings
from django.template import engines
from django.template.loader import get_template
from django.template.utils import get_app_template_dirs
from django.urls import get_resolver
from django.utils import translation

from portal.calendar import package_entries

TEMPLATE_SUFFIXES = (".html", ".txt", ".xml")


def template_names() -> list[str]:
    """Every template of the project's and the installed apps' template folders."""
    engine = engines["django"].engine
    names: list[str] = []
    for folder in [*engine.dirs, *get_app_template_dirs("templates")]:
        folder = Path(folder)
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in TEMPLATE_SUFFIXES:
                names.append(path.relative_to(folder).as_posix())
    return names


def compile_templates() -> int:
    """Compile every template (kept by the cached loader when ``DEBUG`` is off); the number."""
    names = template_names()
    for name in names:
        get_template(name)
    return len(names)


def index_addresses() -> None:
    """Build the URLconf's reverse indexes (what ``reverse`` reads) in every language of the
    portal, for the project and each namespace: a page's first links built them."""
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            resolver.reverse_dict  # noqa: B018
            for _prefix, namespaced in resolver.namespace_dict.values():
                namespaced.reverse_dict  # noqa: B018


def read_holidays() -> None:
    """The ``holidays`` package's days of last year, this year and next (its country module
    is imported on first use; ``portal.calendar`` keeps them for the process)."""
    this_year = date.today().year
    for year in (this_year - 1, this_year, this_year + 1):
        package_entries(year)


def warm() -> None:
    index_addresses()
    read_holidays()
    if not settings.DEBUG:  # with DEBUG on, templates are read again on every request
        compile_templates()


def settle() -> int:
    """Collect the garbage, then freeze everything left (Django, the portal, its libraries,
    the compiled templates) out of later collections; how many objects were frozen. A frozen
    object is still freed when nothing refers to it any more, but a frozen cycle never is:
    call it once, when the worker has loaded what it keeps."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
