"""The monthly freeze's old dotted path, kept because the database stores it.

``manage.py setup_schedules`` created the schedule "Chốt số liệu thống kê tháng" with the function
``intake.statistics_freeze.freeze_closed_months``, and django-q2 finds the task by that name in
every database made before the statistics moved to ``intake/reports/``. The code lives in
``intake/reports/freeze.py``; nothing else may import from here.
"""

from intake.reports.freeze import freeze_closed_months

__all__ = ["freeze_closed_months"]
