from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = _("Dossiers")

    def ready(self) -> None:
        from portal.calendar import on_calendar_change
        from portal.jobs import on_commit_job

        def recompute_after_calendar_change() -> None:
            on_commit_job("intake.jobs.recompute_open_due_dates")

        on_calendar_change(recompute_after_calendar_change)
        import intake.payments.indicators  # noqa: F401  (Decision 766: 3.5, 3.6)
