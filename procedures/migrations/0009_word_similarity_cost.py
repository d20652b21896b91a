"""On PostgreSQL: tell the planner what a typo search's ``query <% search_text`` costs.

pg_trgm declares ``word_similarity_op`` (and its commutator, which Django's
``trigram_word_similar`` lookup writes as ``search_text %> query``) as cheap as an integer comparison, so the planner
estimates a sequential scan of the catalogue as cheaper than the trigram index and computes the
similarity for every procedure: 250-350 ms for 5,000 procedures. At its real cost (about a
hundred times an ordinary operator) it uses ``proc_search_text_trgm`` and computes it only for
the candidates: 10-110 ms. Where the database user may not alter the extension's function, the
step is skipped with a notice; search works the same, more slowly.
"""

from django.db import DatabaseError, migrations, transaction

COST = 100
FUNCTIONS = ("word_similarity_op", "word_similarity_commutator_op")


def set_cost(schema_editor, cost: int) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            for function in FUNCTIONS:
                schema_editor.execute(f"ALTER FUNCTION {function}(text, text) COST {cost}")
    except DatabaseError as error:
        print(f"\n  The cost of {', '.join(FUNCTIONS)} left as it is ({error}).")


def forwards(apps, schema_editor):
    set_cost(schema_editor, COST)


def backwards(apps, schema_editor):
    set_cost(schema_editor, 1)


class Migration(migrations.Migration):
    dependencies = [("procedures", "0008_procedure_updated_at_index")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
