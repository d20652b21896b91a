import pytest

from portal.calendar import forget_calendars


@pytest.fixture(autouse=True)
def _vietnamese_and_sync_queue(settings):
    """Tests see the portal as a citizen does (Vietnamese) and run queued tasks inline."""
    settings.LANGUAGE_CODE = "vi"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": True}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_calendar():
    """The database rolls back between tests; the cached work calendar must too."""
    forget_calendars()
    yield
    forget_calendars()
