"""A web worker loads the URLconf, the views and the templates when it starts
(``portal.warmup``, called by ``portal.wsgi``), not in its first requests."""

from __future__ import annotations

import copy

from django.template import engines
from django.test import override_settings

from portal import warmup
from portal.calendar import _package_entries, package_entries


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
