"""A procedure dict to and from the database: read one back, write one (create or update)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, time
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Prefetch

from procedures.catalogue.checks import CatalogueError, Reference, _channel_rank, clean_procedure
from procedures.catalogue.values import _plain_number
from procedures.fragments import bump_catalogue_version
from procedures.models import (
    Agency,
    FeeLine,
    LegalBasis,
    Procedure,
    ProcedureChannel,
    ProcessStep,
    RequiredDocument,
)


def procedures_with_children():
    """Procedures with everything ``procedure_to_dict`` reads, in a fixed number of queries."""
    return Procedure.objects.select_related("level", "field").prefetch_related(
        "agencies",
        "channels",
        "documents",
        "fee_lines",
        "legal_bases",
        Prefetch("process_steps", queryset=ProcessStep.objects.select_related("level")),
    )


def procedure_to_dict(procedure: Procedure) -> dict[str, Any]:
    """The procedure in the catalogue.json schema, canonical as ``clean_procedure`` makes it."""
    return {
        "code": procedure.code,
        "name": procedure.name,
        "level": procedure.level.code,
        "field": procedure.field.code,
        "competent_authority": procedure.competent_authority,
        "agencies": sorted(agency.slug for agency in procedure.agencies.all()),
        "lead_department_code": procedure.lead_department_code,
        "steps": procedure.step_lines,
        "applicants": procedure.applicants,
        "result": procedure.result,
        "conditions": procedure.conditions,
        "number_of_sets": procedure.number_of_sets,
        "electronic_result": procedure.issues_electronic_result,
        "online_level": procedure.online_level,
        "cutoff_time": procedure.cutoff_time.strftime("%H:%M") if procedure.cutoff_time else None,
        "supplement_policy": procedure.supplement_policy,
        "status": procedure.status,
        "publishing_decision": procedure.publishing_decision,
        "valid_from": _iso(procedure.valid_from),
        "valid_to": _iso(procedure.valid_to),
        "illustrative_note": procedure.illustrative_note,
        "channels": [
            {
                "channel": channel.channel,
                "time_value": _plain_number(channel.time_value),
                "time_unit": channel.time_unit,
                "time_note": channel.time_note,
            }
            for channel in sorted(
                procedure.channels.all(), key=lambda item: _channel_rank(item.channel)
            )
        ],
        "documents": [
            {
                "name": document.name,
                "originals": document.originals,
                "certified_copies": document.certified_copies,
                "photocopies": document.photocopies,
                "is_required": document.is_required,
                "condition": document.condition,
                "form_name": document.form_name,
                "notes": document.notes,
            }
            for document in sorted(procedure.documents.all(), key=lambda d: (d.order, d.pk))
        ],
        "fees": [
            {
                "kind": line.kind,
                "description": line.description,
                "amount": line.amount,
                "unit": line.unit,
                "from_quantity": line.from_quantity,
                "cap": line.cap,
                "cap_unit": line.cap_unit,
                "online_amount": line.online_amount,
                "exemptions": line.exemptions,
                "effective_from": _iso(line.effective_from),
                "effective_to": _iso(line.effective_to),
                "resolution": line.resolution,
            }
            # Written in the order given, so the primary key keeps that order.
            for line in sorted(procedure.fee_lines.all(), key=lambda line: line.pk)
        ],
        "legal_bases": [
            {"number": basis.number, "issued_on": _iso(basis.issued_on), "title": basis.title}
            for basis in sorted(procedure.legal_bases.all(), key=lambda b: (b.order, b.pk))
        ],
        "process": process_to_dicts(
            step for step in procedure.process_steps.all() if step.agency_id is None
        ),
    }


def process_to_dicts(steps: Iterable[ProcessStep]) -> list[dict[str, Any]]:
    """Process steps as the ``process`` list holds them, in order (read ``level`` with them)."""
    return [
        {
            "order": step.order,
            "name": step.name,
            "level": step.level.code,
            "department_code": step.department_code,
            "role": step.role,
            "budget_value": _plain_number(step.budget_value),
            "budget_unit": step.budget_unit,
            "forms": step.forms,
        }
        for step in sorted(steps, key=lambda step: step.order)
    ]


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


UPSERT_CREATED, UPSERT_UPDATED, UPSERT_UNCHANGED = "created", "updated", "unchanged"


@transaction.atomic
def upsert_procedure(
    data: Mapping[str, Any], reference: Reference | None = None
) -> tuple[Procedure, str]:
    """Create or update the procedure with ``data["code"]``; raise ``CatalogueError`` if bad.

    Channels, documents (numbered 1..n), fee lines, legal bases, agencies and the default
    process steps are replaced by those in ``data``; agencies' own processes are kept. A
    procedure already equal to ``data`` is left untouched. Returns the procedure and what
    happened: ``"created"``, ``"updated"`` or ``"unchanged"``.
    """
    reference = reference or Reference.load()
    cleaned, problems = clean_procedure(data, reference)
    if problems:
        raise CatalogueError(problems)
    return _write(cleaned, reference)


def _write(cleaned: dict[str, Any], reference: Reference) -> tuple[Procedure, str]:
    procedure = Procedure.objects.select_for_update().filter(code=cleaned["code"]).first()
    if procedure is not None:
        current = procedures_with_children().get(pk=procedure.pk)
        if procedure_to_dict(current) == cleaned:
            return current, UPSERT_UNCHANGED
    outcome = UPSERT_CREATED if procedure is None else UPSERT_UPDATED
    procedure = procedure or Procedure(code=cleaned["code"])
    procedure.level = reference.levels[cleaned["level"]]
    procedure.field = reference.fields[cleaned["field"]]
    for name in (
        "name",
        "competent_authority",
        "lead_department_code",
        "applicants",
        "result",
        "conditions",
        "number_of_sets",
        "online_level",
        "supplement_policy",
        "status",
        "publishing_decision",
        "illustrative_note",
    ):
        setattr(procedure, name, cleaned[name])
    procedure.issues_electronic_result = cleaned["electronic_result"]
    procedure.steps = "\n".join(cleaned["steps"])
    procedure.cutoff_time = (
        time.fromisoformat(cleaned["cutoff_time"]) if cleaned["cutoff_time"] else None
    )
    procedure.valid_from = _from_iso(cleaned["valid_from"])
    procedure.valid_to = _from_iso(cleaned["valid_to"])
    procedure.save()

    # Uploaded form files are not part of the dict: keep them with the document of that name.
    form_files = {}
    if outcome == UPSERT_UPDATED:
        form_files = dict(
            RequiredDocument.objects.filter(procedure=procedure)
            .exclude(form_file="")
            .values_list("name", "form_file")
        )
        for model in (ProcedureChannel, RequiredDocument, FeeLine, LegalBasis):
            model.objects.filter(procedure=procedure).delete()
        ProcessStep.objects.filter(procedure=procedure, agency__isnull=True).delete()
    ProcedureChannel.objects.bulk_create(
        ProcedureChannel(
            procedure=procedure,
            channel=item["channel"],
            time_value=None if item["time_value"] is None else Decimal(str(item["time_value"])),
            time_unit=item["time_unit"],
            time_note=item["time_note"],
        )
        for item in cleaned["channels"]
    )
    RequiredDocument.objects.bulk_create(
        RequiredDocument(
            procedure=procedure, order=order, form_file=form_files.get(item["name"], ""), **item
        )
        for order, item in enumerate(cleaned["documents"], start=1)
    )
    FeeLine.objects.bulk_create(
        FeeLine(
            procedure=procedure,
            **{
                **item,
                "effective_from": _from_iso(item["effective_from"]),
                "effective_to": _from_iso(item["effective_to"]),
            },
        )
        for item in cleaned["fees"]
    )
    LegalBasis.objects.bulk_create(
        LegalBasis(
            procedure=procedure,
            order=order,
            number=item["number"],
            issued_on=_from_iso(item["issued_on"]),
            title=item["title"],
        )
        for order, item in enumerate(cleaned["legal_bases"], start=1)
    )
    procedure.agencies.set([reference.agencies[slug] for slug in cleaned["agencies"]])
    _create_steps(procedure, None, cleaned["process"], reference)
    bump_catalogue_version()  # the children's bulk_create sends no signal
    return procedure, outcome


def _create_steps(
    procedure: Procedure,
    agency: Agency | None,
    steps: list[dict[str, Any]],
    reference: Reference,
) -> None:
    ProcessStep.objects.bulk_create(
        ProcessStep(
            procedure=procedure,
            agency=agency,
            **{
                **step,
                "level": reference.levels[step["level"]],
                "budget_value": Decimal(str(step["budget_value"])),
            },
        )
        for step in steps
    )


@transaction.atomic
def replace_process(
    procedure: Procedure,
    steps: list[dict[str, Any]],
    *,
    agency: Agency | None = None,
    reference: Reference | None = None,
) -> bool:
    """Replace ``agency``'s own process of ``procedure`` (the default one without an agency)
    by ``steps``, as ``clean_process`` returns them; an empty list removes it. Returns False,
    and changes nothing, when the process is already those steps."""
    current = ProcessStep.objects.filter(procedure=procedure, agency=agency).select_related("level")
    if process_to_dicts(current) == steps:
        return False
    current.delete()
    _create_steps(procedure, agency, steps, reference or Reference.load())
    bump_catalogue_version()  # bulk_create sends no signal
    return True


def _from_iso(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
