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

        # Decision 766 indicator sources, registered at import (intake/indicators.py).
        import intake.results.indicators  # noqa: F401
        from intake.petitions import indicators as petition_indicators  # noqa: F401  (5.1–5.3)
        from intake.reports import indicators as reports_indicators  # noqa: F401  (766 sources)
