"""On PostgreSQL: pg_trgm and a trigram index on the folded search column.

SQLite needs neither: portal.apps registers word_similarity() as a Python function.
"""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # Serves the catalogue search: search_text LIKE '%word%' and word_similarity ranking.
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS proc_search_text_trgm "
        "ON procedures_procedure USING gin (search_text gin_trgm_ops)"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS proc_search_text_trgm")


class Migration(migrations.Migration):
    dependencies = [("procedures", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
