from django.apps import AppConfig
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
        from axes.signals import user_locked_out
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        from portal import checks  # noqa: F401  (registers the deployment checks)
        from portal.connections import prepare_connection
        from portal.roles import ensure_role_groups
        from portal.signin import log_lockout

        post_migrate.connect(ensure_role_groups, sender=self, dispatch_uid="portal_role_groups")

        # Strong reference: a weakly connected receiver may be collected and silently vanish.
        connection_created.connect(
            prepare_connection, weak=False, dispatch_uid="portal_prepare_connection"
        )
        user_locked_out.connect(log_lockout, weak=False, dispatch_uid="portal_log_lockout")
