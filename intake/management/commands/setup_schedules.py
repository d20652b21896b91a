"""``manage.py setup_schedules``: the queue's scheduled tasks, created or brought in line with the
settings. Idempotent: run it after every ``migrate`` (``make run`` does; see docs/watch.md for
production)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from portal.text import format_datetime


def next_daily(at: time, now: datetime) -> datetime:
    """The next ``at`` o'clock, local time, after ``now``."""
    local = timezone.localtime(now)
    candidate = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return candidate if candidate > local else candidate + timedelta(days=1)


def next_yearly(month: int, day: int, at: time, now: datetime) -> datetime:
    local = timezone.localtime(now)
    candidate = local.replace(
        month=month, day=day, hour=at.hour, minute=at.minute, second=0, microsecond=0
    )
    return candidate if candidate > local else candidate.replace(year=local.year + 1)


def next_month_start(at: time, now: datetime) -> datetime:
    """``at`` o'clock on the first day of next month, local time."""
    local = timezone.localtime(now)
    first = (local.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)


def wanted(now: datetime) -> list[dict]:
    """The schedules as the settings want them; ``next_run`` is used only when one is made or
    its timing changed."""
    digest_at = time.fromisoformat(settings.WATCH_DIGEST_AT)
    return [
        {
            "name": "Theo dõi hạn xử lý hồ sơ",
            "func": "intake.jobs.watch",
            "schedule_type": Schedule.MINUTES,
            "minutes": settings.WATCH_MINUTES,
            "next_run": now,
        },
        {
            "name": "Bản tin hạn xử lý hằng ngày",
            "func": "intake.jobs.send_digests",
            "schedule_type": Schedule.DAILY,
            "minutes": None,
            "next_run": next_daily(digest_at, now),
        },
        {
            # Early in December: the holidays package knows next year's lunar dates; editors
            # add the government's swaps when they are announced.
            "name": "Lịch làm việc năm sau",
            "func": "intake.jobs.seed_next_year_calendar",
            "schedule_type": Schedule.YEARLY,
            "minutes": None,
            "next_run": next_yearly(12, 1, time(2, 0), now),
        },
        {
            # Just after a month ends: freeze its statistics (intake/reports/freeze.py); a month
            # missed is frozen by the next run.
            "name": "Chốt số liệu thống kê tháng",
            "func": "intake.statistics_freeze.freeze_closed_months",
            "schedule_type": Schedule.MONTHLY,
            "minutes": None,
            "next_run": next_month_start(time(1, 0), now),
        },
        {
            # Scans kept for reception forms shown again (intake/documents/staging.py).
            "name": "Xóa tệp quét tạm đã quá hạn",
            "func": "intake.jobs.discard_stale_uploads",
            "schedule_type": Schedule.DAILY,
            "minutes": None,
            "next_run": next_daily(time(3, 0), now),
        },
        {
            # The national portal's outbox (intake/national/outbox.py).
            "name": "Đồng bộ hồ sơ lên Cổng Dịch vụ công quốc gia",
            "func": "intake.jobs.deliver_national_outbox",
            "schedule_type": Schedule.MINUTES,
            "minutes": settings.NATIONAL_SYNC_MINUTES,
            "next_run": now,
        },
    ]


class Command(BaseCommand):
    help = (
        "Create or update the queue's scheduled tasks: the deadline watch every WATCH_MINUTES, "
        "the morning digest at WATCH_DIGEST_AT, next year's work calendar every December, the "
        "statistics of each month just after it ends. Idempotent."
    )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        now = timezone.now()
        for spec in wanted(now):
            rows = list(Schedule.objects.filter(func=spec["func"]).order_by("pk"))
            for extra in rows[1:]:
                extra.delete()
                self.stdout.write(f"{spec['func']}: removed a duplicate schedule")
            schedule = rows[0] if rows else None
            if schedule is None:
                Schedule.objects.create(repeats=-1, **spec)
                first = format_datetime(spec["next_run"])
                self.stdout.write(f"{spec['func']}: created, first run {first}")
                continue
            changed = []
            timing = (
                schedule.schedule_type != spec["schedule_type"]
                or schedule.minutes != spec["minutes"]
                or (
                    spec["schedule_type"] == Schedule.DAILY
                    and timezone.localtime(schedule.next_run).time()
                    != timezone.localtime(spec["next_run"]).time()
                )
            )
            for key in ("name", "schedule_type", "minutes"):
                if getattr(schedule, key) != spec[key]:
                    setattr(schedule, key, spec[key])
                    changed.append(key)
            if timing:
                schedule.next_run = spec["next_run"]
                changed.append("next_run")
            if schedule.repeats != -1:
                schedule.repeats = -1
                changed.append("repeats")
            if changed:
                schedule.save()
                self.stdout.write(f"{spec['func']}: updated ({', '.join(changed)})")
            else:
                self.stdout.write(f"{spec['func']}: up to date")
