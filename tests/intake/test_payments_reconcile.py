"""Reconciling a bank statement: transfers matched by the dossier code, the rest listed."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from intake.models import Method, Payment
from intake.payments import ledger
from tests.factories import AgencyFactory, FeeLineFactory, ProcedureFactory, received_dossier

pytestmark = pytest.mark.django_db


def dossier(amount=75000):
    procedure = ProcedureFactory()
    FeeLineFactory(procedure=procedure, amount=amount)
    return received_dossier(agency=AgencyFactory(), procedure=procedure)


def test_transfers_are_matched_by_reference_and_the_rest_listed(tmp_path):
    owed, paid, other = dossier(), dossier(), dossier(50000)
    ledger.record_payment(
        paid, method=Method.CASH, amount=75000, agency=paid.receiving_agency, actor=None
    )
    spaced = owed.code.replace("-", " ")
    statement = tmp_path / "sao-ke.csv"
    statement.write_text(
        "date,amount,description,transaction_id\n"
        f"07/12/2026,75.000,CK {spaced} nop phi,FT001\n"
        f"07/12/2026,75000,{paid.code},FT002\n"
        f"07/12/2026,40000,{other.code},FT003\n"
        "07/12/2026,10000,tien dien thang 11,FT004\n"
        "07/12/2026,10000,H99.99.99-261207-0001,FT005\n"
        "07/12/2026,-5000,phi ngan hang,FT006\n",
        encoding="utf-8",
    )
    out = StringIO()
    call_command("reconcile_payments", str(statement), stdout=out)
    assert not Payment.objects.filter(method=Method.TRANSFER).exists()  # a dry run
    text = out.getvalue()
    assert "1 matched, 5 not matched." in text
    assert "FT002" in text and "nothing owed" in text
    assert "FT003" in text and "amount differs" in text
    assert "FT004" in text and "no dossier code" in text
    assert "FT005" in text and "unknown dossier code" in text
    assert "FT006" in text and "not a credit" in text
    out = StringIO()
    call_command("reconcile_payments", str(statement), "--record", stdout=out)
    payment = Payment.objects.get(method=Method.TRANSFER)
    assert (payment.account.dossier, payment.reference, payment.serial) == (owed, "FT001", 1)
    assert ledger.standing(owed).status == "paid"
    out = StringIO()
    call_command("reconcile_payments", str(statement), "--record", stdout=out)
    assert "already recorded" in out.getvalue()
    assert Payment.objects.filter(method=Method.TRANSFER).count() == 1


def test_a_statement_without_the_columns_is_refused(tmp_path):
    statement = tmp_path / "bad.csv"
    statement.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="columns"):
        call_command("reconcile_payments", str(statement))
