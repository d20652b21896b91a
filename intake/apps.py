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

        # The Decision 766 indicator sources, registered at import (intake/indicators.py):
        # 1.4 national, 3.3 online, 3.5–3.6 payments, 4.1–4.3 results, 5.1–5.3 petitions, and
        # the statistics' 1.1, 2.1, 2.2, 5.4. Then the national portal's outbox: each
        # reportable event's message, written in the event's transaction (national/outbox.py).
        from django.db.models.signals import post_save

        import intake.national.indicators  # noqa: F401
        import intake.online.indicators  # noqa: F401
        import intake.payments.indicators  # noqa: F401
        import intake.petitions.indicators  # noqa: F401
        import intake.reports.indicators  # noqa: F401
        import intake.results.indicators  # noqa: F401
        from intake.models import DossierEvent
        from intake.national.outbox import record_message

        post_save.connect(record_message, sender=DossierEvent, dispatch_uid="national_outbox")
