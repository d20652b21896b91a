"""A web worker loads the URLconf, the views and the templates when it starts
(``portal.warmup``, called by ``portal.wsgi``), not in its first requests."""

from __future__ import annotations

import copy
import gc
import weakref

from django.template import engines
from django.test import override_settings

from portal import warmup
from portal.calendar import _package_entries, package_entries
from tests.portal.processes import production_env, run_python


def test_every_template_of_the_project_and_its_apps_compiles():
    names = warmup.template_names()
    assert {"base.html", "intake/statistics.html", "admin/base.html"} <= set(names)
    assert warmup.compile_templates() == len(names)


def test_in_production_the_templates_are_compiled_before_the_first_request(settings):
    # The same templates setting, read again with DEBUG off: Django's cached loader.
    with override_settings(DEBUG=False, TEMPLATES=copy.deepcopy(settings.TEMPLATES)):
        [cached] = engines["django"].engine.template_loaders
        assert not cached.get_template_cache
        warmup.warm()
        assert cached.get_template_cache.get("intake/statistics.html") is not None
        assert len(cached.get_template_cache) >= len(warmup.template_names())
    # The holidays of last year, this year and next, read once for the process.
    assert _package_entries.cache_info().currsize >= 3


def test_the_holidays_package_is_read_once_a_year_and_each_caller_gets_its_own_list():
    first = package_entries(2026)
    first.clear()
    again = package_entries(2026)
    assert again and again == package_entries(2026)
    assert again is not package_entries(2026)


WORKER_PROBE = """
import gc
import portal.wsgi
print("frozen", gc.get_freeze_count(), "tracked", len(gc.get_objects()))
"""


def test_a_worker_keeps_what_it_loaded_out_of_the_collectors_full_collections(tmp_path):
    """``portal.wsgi`` warms the worker up, then freezes what it holds: a full collection,
    which a heavy page starts every twenty requests or so, no longer walks Django, the portal's
    libraries and the compiled templates (measured: 115–156 ms such a collection, the slowest
    of a statistics page's requests)."""
    result = run_python(["-c", WORKER_PROBE], production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    words = result.stdout.split()
    frozen, tracked = int(words[words.index("frozen") + 1]), int(words[words.index("tracked") + 1])
    # Every template compiled (DEBUG off), with Django and the views: well over 100,000 objects
    # frozen, a small fraction left for the collector.
    assert frozen > 100_000
    assert tracked < frozen / 5


def test_settle_collects_the_garbage_before_freezing():
    """A frozen cycle is never collected: the garbage must go first."""

    class Cycle:
        pass

    garbage = Cycle()
    garbage.me = garbage
    gone = weakref.ref(garbage)
    del garbage
    gc.disable()  # no automatic collection in between: settle() alone must collect it
    try:
        assert gone() is not None
        frozen = warmup.settle()
        assert gone() is None
        assert frozen > 0 and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.enable()
