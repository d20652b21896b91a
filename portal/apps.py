from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")
    # Added to the role groups by portal.roles: editors keep the work calendar.
    role_permissions = {
        "catalogue_editor": [
            ("portal", f"{action}_{model}")
            for model in ("calendarday", "calendaryear", "officesession")
            for action in ("add", "change", "delete", "view")
        ],
    }

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from portal import checks  # noqa: F401  (registers the deployment checks)
        from portal.roles import ensure_role_groups
        from portal.text import word_similarity

        post_migrate.connect(ensure_role_groups, sender=self, dispatch_uid="portal_role_groups")

        def add_sqlite_functions(sender, connection, **kwargs) -> None:
            # PostgreSQL has word_similarity() from pg_trgm; SQLite gets the same function
            # in Python so catalogue search matches and ranks alike on both databases.
            if connection.vendor == "sqlite":
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

        connection_created.connect(add_sqlite_functions, dispatch_uid="portal_sqlite_functions")
