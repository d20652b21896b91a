from datetime import datetime

import pytest
from django.core.cache import cache
from django_q import conf as django_q_conf

from portal.calendar import forget_calendars
from portal.deadlines import TIME_ZONE

# A Wednesday morning in office hours, far from any holiday.
OFFICE_HOURS = datetime(2026, 11, 25, 9, tzinfo=TIME_ZONE)


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path_factory):
    """Slips and uploads written by tests never land in the project's media folder."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _vietnamese_and_sync_queue(settings, monkeypatch):
    """Tests see the portal as a citizen does (Vietnamese) and run queued tasks inline."""
    settings.LANGUAGE_CODE = "vi"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # django-q2 reads its configuration once at import: switch the loaded copy to inline runs.
    monkeypatch.setattr(django_q_conf.Conf, "SYNC", True)
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _empty_cache():
    """Cached pages and throttle counts of one test never reach the next."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """The database rolls back between tests; the cached work calendar must too."""
    forget_calendars()
    yield
    forget_calendars()


@pytest.fixture
def office_hours(time_machine) -> datetime:
    """The clock at ``OFFICE_HOURS``, ticking, for tests that build deadlines from "now": on
    the wall clock at night, on a weekend or a holiday, a dossier's time only starts at the next
    opening, "today at 17:00" may come before it, and a date two weeks on may be a day off.
    Ask for it before the fixtures that make dossiers (``usefixtures`` does)."""
    time_machine.move_to(OFFICE_HOURS, tick=True)
    return OFFICE_HOURS
