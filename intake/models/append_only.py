"""Rows written once and never rewritten: a dossier's and a petition's history, the fee ledger.

A model keeps them so by using ``AppendOnlyQuerySet`` (no bulk ``update`` or ``delete``) and
``AppendOnly`` (no ``delete`` of one row); its queryset's ``refusal`` is the message. A
correction is a new row (an event that says what changed, a refund), never an edit.
"""

from __future__ import annotations

from django.db import models


class AppendOnlyQuerySet(models.QuerySet):
    refusal = "These rows are append-only."

    def update(self, **kwargs):
        raise TypeError(self.refusal)

    def delete(self):
        raise TypeError(self.refusal)


class AppendOnly(models.Model):
    """A model whose rows are never deleted one by one either."""

    class Meta:
        abstract = True

    def delete(self, *args, **kwargs):
        raise TypeError(type(self)._default_manager.get_queryset().refusal)
