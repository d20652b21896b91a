"""What every new database connection needs before the portal's queries run on it."""

from django.conf import settings

from portal.text import word_similarity


def prepare_connection(sender, connection, **kwargs) -> None:
    """Connected to ``connection_created`` in ``PortalConfig.ready`` — so in every process that
    sets Django up: gunicorn's workers, the queue worker, management commands.

    A module-level function, connected strongly: a function defined inside ``ready()`` and
    connected weakly was collected as garbage once ``ready()`` returned, and search then failed.
    """
    if connection.vendor == "sqlite":
        # PostgreSQL has word_similarity() from pg_trgm; SQLite gets the same function in
        # Python so catalogue search matches and ranks alike on both databases.
        connection.connection.create_function(
            "word_similarity", 2, word_similarity, deterministic=True
        )
    elif connection.vendor == "postgresql":
        # The threshold of the indexable ``<%`` operator catalogue search filters with.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
                [str(settings.SEARCH_SIMILARITY)],
            )
