"""A dossier's and a petition's history and the fee ledger are written once: no bulk update, no
bulk delete, no delete of one row (``intake.models.append_only``), each with its own message."""

import pytest

from intake.models import DossierEvent, Payment, PetitionEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("model", "refusal"),
    [
        (DossierEvent, "Dossier events are append-only."),
        (PetitionEvent, "Petition events are append-only."),
        (Payment, "Payments are append-only."),
    ],
)
def test_rows_are_never_rewritten_or_deleted(model, refusal):
    with pytest.raises(TypeError, match=refusal):
        model.objects.all().update(note="")
    with pytest.raises(TypeError, match=refusal):
        model.objects.all().delete()
    with pytest.raises(TypeError, match=refusal):
        model().delete()
