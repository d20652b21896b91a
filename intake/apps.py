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
        # The Decision 766 indicator sources (3.3 online, 1.4 national), and the national
        # portal's outbox: each reportable event's message, written in the event's transaction
        # (intake/national/outbox.py).
        from django.db.models.signals import post_save

        import intake.national.indicators  # noqa: F401
        import intake.online.indicators  # noqa: F401
        import intake.results.indicators  # noqa: F401
        from intake.models import DossierEvent
        from intake.national.outbox import record_message
        from intake.petitions import indicators as petition_indicators  # noqa: F401  (5.1–5.3)
        from intake.reports import indicators as reports_indicators  # noqa: F401  (766 sources)

        post_save.connect(record_message, sender=DossierEvent, dispatch_uid="national_outbox")
