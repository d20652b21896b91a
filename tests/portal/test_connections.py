"""Every new database connection gets what catalogue search needs, in every process and
whatever DEBUG says: SQLite the word_similarity() function, PostgreSQL the trigram threshold."""

import gc
import os
from urllib.parse import quote

import pytest
from django.db import connections

from tests.portal.processes import production_env, run_python

PROBE = """
from django.db import connection
with connection.cursor() as cursor:
    if connection.vendor == "sqlite":
        cursor.execute("SELECT word_similarity('ho tich', 'dang ky ho tich')")
    else:
        cursor.execute("SELECT current_setting('pg_trgm.word_similarity_threshold')")
    print("probe:", cursor.fetchone()[0])
"""


@pytest.mark.django_db
def test_a_management_command_with_debug_off_has_the_search_function(tmp_path):
    """``manage.py`` sets Django up as gunicorn and the queue worker do; with DEBUG off the
    hook connected inside ``ready()`` used to be collected before the first connection."""
    env = production_env(tmp_path, SEARCH_SIMILARITY="0.45")
    database = connections["default"].settings_dict
    if database["ENGINE"].endswith("postgresql"):  # the test database, which exists
        env["DATABASE_URL"] = (
            f"postgres://{quote(database['USER'])}:{quote(database['PASSWORD'] or '')}"
            f"@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
        )
    result = run_python(["manage.py", "shell", "-c", PROBE], env)
    assert result.returncode == 0, result.stderr
    if os.environ.get("DATABASE_URL"):
        assert "probe: 0.45" in result.stdout
    else:
        assert "probe: 1.0" in result.stdout


@pytest.mark.django_db
def test_a_connection_opened_after_garbage_collection_is_prepared(settings):
    gc.collect()
    connection = connections.create_connection("default")
    try:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("SELECT word_similarity('ho tich', 'dang ky ho tich')")
                assert cursor.fetchone()[0] == 1.0
            else:
                cursor.execute("SELECT current_setting('pg_trgm.word_similarity_threshold')")
                assert float(cursor.fetchone()[0]) == settings.SEARCH_SIMILARITY
    finally:
        connection.close()
