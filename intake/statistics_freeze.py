"""The monthly freeze's old dotted path, kept because the database stores it.

``manage.py setup_schedules`` created the schedule "Chốt số liệu thống kê tháng" with the function
``intake.statistics_freeze.freeze_closed_months``, and django-q2 finds the task by that name in
every database made before the statistics moved to ``intake/reports/``. The code lives in
``intake/reports/freeze.py``; nothing else may import from here. After the statistics, the same
job freezes the Decision 766 scorecard of the closed months (``intake/scorecard/freeze.py``),
which reads the statistics' frozen months.
"""

from intake.reports.freeze import freeze_closed_months as freeze_closed_statistics
from intake.scorecard.freeze import freeze_closed_scorecards


def freeze_closed_months(rebuild: bool = False) -> list[str]:
    done = freeze_closed_statistics(rebuild=rebuild)
    freeze_closed_scorecards(rebuild=rebuild)
    return done


__all__ = ["freeze_closed_months"]
