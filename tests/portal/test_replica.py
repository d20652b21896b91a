"""Which database the reports read (portal/replica.py): the replica only inside a report's GET,
only for the portal's own tables, never for a write nor inside a transaction on the primary.
The reports reading a real second database over HTTP: tests/portal/test_many_nodes.py."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpResponse
from django.test import RequestFactory

from intake.models import Dossier
from portal.replica import ReplicaRouter, reading_reports, reads_reports, reports_database
from procedures.models import Procedure

# The fixture adds the alias to the setting as start-up would; Django warns about that.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


@pytest.fixture
def with_replica(settings):
    """The setting as DATABASE_REPLICA_URL makes it (no connection is opened here)."""
    settings.DATABASES = {**settings.DATABASES, "replica": dict(settings.DATABASES["default"])}
    return ReplicaRouter()


def test_reports_read_the_replica_only_inside_the_context(with_replica):
    router = with_replica
    assert router.db_for_read(Dossier) == "default"
    with reading_reports():
        assert router.db_for_read(Dossier) == "replica"
        assert router.db_for_read(Procedure) == "replica"
        assert reports_database() == "replica"
    assert router.db_for_read(Dossier) == "default"


def test_sign_in_sessions_and_writes_stay_on_the_primary(with_replica):
    router = with_replica
    with reading_reports():
        assert router.db_for_read(get_user_model()) == "default"
        assert router.db_for_read(Session) == "default"
        assert router.db_for_write(Dossier) == "default"


@pytest.mark.django_db
def test_a_read_inside_a_transaction_on_the_primary_stays_there(with_replica):
    with reading_reports(), transaction.atomic():
        assert reports_database() == "default"
        assert with_replica.db_for_read(Dossier) == "default"


def test_the_replica_is_never_migrated(with_replica):
    assert with_replica.allow_migrate("default", "intake") is True
    assert with_replica.allow_migrate("replica", "intake") is False


def test_without_a_replica_the_reports_read_the_primary(settings):
    assert "replica" not in settings.DATABASES
    with reading_reports():
        assert reports_database() == "default"


@pytest.mark.parametrize(("method", "expected"), [("get", "replica"), ("post", "default")])
def test_a_report_view_reads_the_replica_on_get_only(with_replica, method, expected):
    seen = []

    @reads_reports
    def view(request):
        seen.append(reports_database())
        return HttpResponse()

    view(getattr(RequestFactory(), method)("/thong-ke/"))
    assert seen == [expected]
