from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = _("Procedure catalogue")

    def ready(self) -> None:
        # A change to the catalogue gives it a new version (the public pages' fragments).
        from procedures import fragments  # noqa: F401
