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

        # The national portal: each reportable event's outbox message, in the event's
        # transaction (intake/national/outbox.py).
        from django.db.models.signals import post_save

        from intake.models import DossierEvent
        from intake.national.outbox import record_message

        post_save.connect(record_message, sender=DossierEvent, dispatch_uid="national_outbox")
        import intake.national.indicators  # noqa: F401  (indicator 1.4)
