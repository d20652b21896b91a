from django.apps import AppConfig
from django.core.cache import caches
from django.utils.translation import gettext_lazy as _


def forget_chrome(sender, file_path, **kwargs) -> None:
    """The development server keeps running when a template or a translation changes (Django
    resets its template loaders and catalogues instead): drop the pages' chrome rendered with
    the old ones too (``CACHES["chrome"]``, ``templates/base.html``)."""
    caches["chrome"].clear()


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
        from django.utils.autoreload import file_changed

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
        file_changed.connect(forget_chrome, weak=False, dispatch_uid="portal_forget_chrome")
