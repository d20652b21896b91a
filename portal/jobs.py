"""Queue work for the django-q2 cluster once the current transaction has committed.

Tasks take ids (never model instances), re-read what they need and are idempotent, so a task
that runs twice, or after a worker died half way, does no harm. With ``Q_CLUSTER["sync"]``
(tests) the task runs inline at commit.
"""

from __future__ import annotations

from django.db import transaction
from django_q.tasks import async_task


def on_commit_job(task: str, *args, **kwargs) -> None:
    """Enqueue ``task`` (a dotted path) after commit; at once outside a transaction."""
    transaction.on_commit(lambda: async_task(task, *args, **kwargs))
