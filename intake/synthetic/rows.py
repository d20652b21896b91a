"""A chunk of synthetic journeys numbered for good and written to the database.

``Numbers`` hands out primary keys and the named sequences' values (dossier codes per unit and
day, tracking-book entries per unit, field and year, form numbers per form, unit and year) in
job order, continuing from what the database holds. ``table_rows`` turns a numbered chunk into
rows in the column order of ``TABLES``. ``CopyWriter`` sends them with PostgreSQL's COPY,
``OrmWriter`` with ``bulk_create`` (SQLite); both write a chunk in one transaction together
with the ``Sequence`` rows and the primary-key sequences, so that the counter's next dossier
continues the numbering whatever happens to later chunks.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, models, transaction
from psycopg.types.json import set_json_dumps

from intake.models import (
    Consultation,
    Dossier,
    DossierDocument,
    DossierEvent,
    OnlineSubmission,
    OutboxMessage,
    Pause,
    Reception,
    ResultDocument,
    Sequence,
    Slip,
    StepVisit,
)
from intake.national.payload import CHANNEL_CODES
from intake.synthetic.files import RESULT_NAME, Files
from intake.synthetic.online import WAIT
from intake.synthetic.records import (
    EXEMPT,
    REUSED,
    SCANNED,
    Chunk,
    reported_kind,
    result_kind,
)
from intake.synthetic.world import WorldNotReady

# What the generator writes into each table; any other column takes its model default.
PRODUCED = {
    "reception": (
        Reception,
        "id token agency_id clerk_id procedure_id channel applicant_kind applicant_name "
        "applicant_id_number applicant_phone applicant_email applicant_address proxy_name "
        "proxy_id_number proxy_phone documents fees fee_total fee_exemption_reason return_method "
        "return_address notes outcome reasons missing contact received_at book_year book_number",
    ),
    "dossier": (
        Dossier,
        "id code reception_id procedure_id receiving_agency_id competent_agency_id channel "
        "status lookup_key field_id time_value time_unit cutoff_time received_at accepted_at "
        "counted_from due_at original_due_at due_explanation finished_at returned_at book_year "
        "book_number steps step_index current_agency_id current_department_id current_role "
        "assignee_id step_due_at result result_reasons verdict apologised_at returned_by_id "
        "collector_name collector_id_number delivery tracking_number version updated_at",
    ),
    "document": (
        DossierDocument,
        "id dossier_id line name declared_pages file pages size sha256 pages_confirmed "
        "exemption exemption_note reused_from_id recorded_by_id recorded_at",
    ),
    "result": (
        ResultDocument,
        "id dossier_id file name size sha256 attached_by_id attached_at signed_file "
        "signed_sha256 signed_by_id signed_at signer_certificate",
    ),
    "slip": (Slip, "id form number reception_id pdf sha256 issued_at issued_by_id"),
    "visit": (
        StepVisit,
        "id dossier_id index name role agency_id department_id assignee_id started_at due_at "
        "finished_at finished_by_id verdict",
    ),
    "pause": (
        Pause,
        "id dossier_id policy started_at ended_at missing contact requested_by_id "
        "received_by_id slip_id",
    ),
    "consultation": (
        Consultation,
        "id dossier_id agency_id department_id question asked_by_id asked_at due_at answer "
        "answered_by_id answered_at",
    ),
    "event": (
        DossierEvent,
        "id dossier_id kind actor_id at from_status to_status is_public note data",
    ),
    "online": (
        OnlineSubmission,
        "id dossier_id source submitted_at contact_kind contact state check_due_at checked_at "
        "checked_by_id supplement_requested_at supplement_due_at completed_at check_alarm_at",
    ),
    "outbox": (
        OutboxMessage,
        "id key dossier_id event_id kind national_status payload created_at next_attempt_at "
        "attempts last_attempt_at acknowledged_at last_error",
    ),
}
# Parents before children.
ORDER = (
    "reception",
    "dossier",
    "document",
    "result",
    "slip",
    "visit",
    "pause",
    "consultation",
    "event",
    "online",
    "outbox",
)


@dataclass
class Table:
    name: str
    model: type[models.Model]
    attnames: tuple[str, ...]
    columns: tuple[str, ...]
    defaults: tuple  # values of the columns the generator leaves to the model …
    defaults_text: tuple  # … with JSON as text, for COPY

    @property
    def db_table(self) -> str:
        return self.model._meta.db_table


def tables() -> dict[str, Table]:
    """The tables as the models define them now. Raises ``WorldNotReady`` when a model grew a
    column without a default that the generator does not know how to fill."""
    result = {}
    for name, (model, produced) in PRODUCED.items():
        attnames = tuple(produced.split())
        fields = {field.attname: field for field in model._meta.concrete_fields}
        unknown = [attname for attname in attnames if attname not in fields]
        if unknown:
            raise WorldNotReady(f"{model.__name__}: no such fields {unknown}.")
        extra = [field for attname, field in fields.items() if attname not in attnames]
        defaults = []
        for field in extra:
            if field.null:
                defaults.append(None)
            elif field.has_default():
                defaults.append(field.get_default())
            else:
                raise WorldNotReady(
                    f"{model.__name__}.{field.name} has no default: teach the generator "
                    "(intake/synthetic/rows.py) what to write there."
                )
        all_fields = [fields[attname] for attname in attnames] + extra
        result[name] = Table(
            name=name,
            model=model,
            attnames=attnames + tuple(field.attname for field in extra),
            columns=tuple(field.column for field in all_fields),
            defaults=tuple(defaults),
            defaults_text=tuple(
                json.dumps(value) if isinstance(field, models.JSONField) else value
                for field, value in zip(extra, defaults, strict=True)
            ),
        )
    return result


# Numbers.

PK_KEYS = {name: f"pk:{name}" for name in ORDER}
SEQUENCE_PREFIXES = ("dossier:", "book:", "slip:")


def starting_numbers(table_map: dict[str, Table]) -> dict[str, int]:
    """The largest primary key of each table and the value of every named sequence now."""
    values = {
        name: value
        for name, value in Sequence.objects.values_list("name", "value")
        if name.startswith(SEQUENCE_PREFIXES)
    }
    for name, table in table_map.items():
        largest = table.model.objects.aggregate(largest=models.Max("pk"))["largest"]
        values[PK_KEYS[name]] = largest or 0
    return values


class Numbers:
    """Hands out numbers to chunks, in the order they are asked for."""

    def __init__(self, start: dict[str, int]):
        self.values: Counter[str] = Counter(start)

    def reserve(self, index: int, needs: dict[str, int]) -> dict[str, int]:
        bases = {key: self.values[key] for key in needs}
        for key, count in needs.items():
            self.values[key] += count
        return bases


# Rows.


def _person(person) -> tuple[str, str, str]:
    if person is None:
        return "", "", ""
    return person.name, person.id_number, person.phone


def _uid(staffer) -> int | None:
    return None if staffer is None else staffer.user_id


def table_rows(
    chunk: Chunk,
    bases: dict[str, int],
    table_map: dict[str, Table],
    json_text: bool,
    files: Files,
    leaders: dict[int, list],
    now=None,
) -> dict[str, list[tuple]]:
    """The chunk's rows per table, with their final keys and numbers. ``json_text``: JSON
    columns as text (for COPY) rather than Python values (for the ORM). ``files``: the stored
    files the lines and results name (``intake.synthetic.files``); ``leaders``: who signs."""
    r0, d0 = bases["pk:reception"], bases["pk:dossier"]
    s0, v0 = bases["pk:slip"], bases["pk:visit"]
    p0, c0, e0 = bases["pk:pause"], bases["pk:consultation"], bases["pk:event"]

    codes = []
    for d in chunk.dossiers:
        _, unit, day = d.code_key.split(":")
        codes.append(f"{unit}-{day}-{bases[d.code_key] + d.code_local:04d}")
    counts: Counter[str] = Counter()
    numbers: dict[int, str] = {}
    for slip in sorted(chunk.slips, key=lambda s: (s.issued_at, s.local)):
        if slip.key is None:
            numbers[slip.local] = codes[slip.dossier.local]
        else:
            counts[slip.key] += 1
            numbers[slip.local] = f"{bases[slip.key] + counts[slip.key]}/{slip.year}"
        for data in slip.mentions:
            data["slip"] = numbers[slip.local]
    for c in chunk.consultations:
        for data in c.mentions:
            data["consultation"] = c0 + c.local + 1

    def as_json(value):
        return json.dumps(value, ensure_ascii=False) if json_text else value

    shared: dict[int, str] = {}

    def as_shared_json(value):
        """Documents and fee breakdowns are shared objects (per procedure, per quantities):
        each is turned into text once."""
        if not json_text:
            return value
        text = shared.get(id(value))
        if text is None:
            text = shared[id(value)] = json.dumps(value, ensure_ascii=False)
        return text

    receptions = []
    for rec in chunk.receptions:
        # Filed online: received when submitted; checked by no one yet while it waits.
        online = rec.online
        applicant = rec.applicant
        proxy_name, proxy_id, proxy_phone = _person(rec.proxy)
        receptions.append(
            (
                r0 + rec.local + 1,
                rec.token,
                rec.agency,
                None if online is not None and online.stage == WAIT else rec.clerk.user_id,
                rec.procedure,
                rec.channel.channel,
                rec.applicant_kind,
                applicant.name,
                applicant.id_number,
                applicant.phone,
                applicant.email,
                applicant.address,
                proxy_name,
                proxy_id,
                proxy_phone,
                as_shared_json(rec.documents),
                as_shared_json(rec.fees),
                rec.fee_total,
                "",
                rec.return_method,
                rec.return_address,
                "",
                rec.outcome,
                rec.reasons,
                as_json(rec.missing),
                rec.contact,
                online.submitted if online else rec.received_at,
                int(rec.book_key.rsplit(":", 1)[1]) if rec.book_key else None,
                bases[rec.book_key] + rec.book_local if rec.book_key else None,
            )
        )
    dossiers = []
    no_steps = as_json([])
    for d, code in zip(chunk.dossiers, codes, strict=True):
        o = d.offering
        procedure = o.procedure
        accepted = d.received_at is not None  # else filed online and not accepted (yet)
        dossiers.append(
            (
                d0 + d.local + 1,
                code,
                r0 + d.reception + 1,
                procedure.pk,
                o.receiving,
                o.competent,
                d.channel.channel,
                d.status,
                d.lookup_key,
                procedure.field_id,
                d.channel.time_value,
                d.channel.time_unit,
                procedure.cutoff_time,
                d.submitted_at,
                d.received_at,
                d.counted_from,
                d.due_at,
                d.original_due_at,
                as_json(d.explanation),
                d.finished_at,
                d.returned_at,
                d.received_at.astimezone(o.calendars[0].tz).year if accepted else None,
                bases[d.book_key] + d.book_local if accepted else None,
                (o.steps_json if json_text else o.steps) if accepted else no_steps,
                d.step_index,
                d.current_agency,
                d.current_department,
                d.current_role,
                _uid(d.assignee),
                d.step_due_at,
                d.result,
                d.result_reasons,
                d.verdict,
                d.apologised_at,
                _uid(d.returned_by),
                d.collector_name,
                d.collector_id_number,
                d.delivery,
                d.tracking_number,
                d.version,
                d.updated_at,
            )
        )
    slips = [
        (
            s0 + slip.local + 1,
            slip.form,
            numbers[slip.local],
            r0 + slip.reception + 1,
            "",
            "",
            slip.issued_at,
            slip.issued_by,
        )
        for slip in chunk.slips
    ]
    visits = [
        (
            v0 + number + 1,
            d0 + visit.dossier + 1,
            visit.index,
            visit.step["name"],
            visit.step["role"],
            visit.step["agency"],
            visit.step["department"],
            _uid(visit.assignee),
            visit.started_at,
            visit.due_at,
            visit.finished_at,
            _uid(visit.finished_by),
            visit.verdict,
        )
        for number, visit in enumerate(chunk.visits)
    ]
    pauses = [
        (
            p0 + number + 1,
            d0 + pause.dossier + 1,
            pause.policy,
            pause.started_at,
            pause.ended_at,
            as_json(pause.missing),
            pause.contact,
            pause.requested_by.user_id,
            _uid(pause.received_by),
            s0 + pause.slip.local + 1,
        )
        for number, pause in enumerate(chunk.pauses)
    ]
    consultations = [
        (
            c0 + c.local + 1,
            d0 + c.dossier + 1,
            c.agency,
            c.department,
            c.question,
            c.asked_by.user_id,
            c.asked_at,
            c.due_at,
            c.answer,
            _uid(c.answered_by),
            c.answered_at,
        )
        for c in chunk.consultations
    ]
    events = [
        (
            e0 + number + 1,
            d0 + dossier + 1,
            kind,
            actor,
            at,
            before,
            after,
            public,
            note,
            as_json(data),
        )
        for number, (dossier, kind, actor, at, before, after, public, note, data) in enumerate(
            chunk.events
        )
    ]
    o0 = bases["pk:online"]
    online = []
    for number, (local, at, check) in enumerate(chunk.online):
        applicant = chunk.receptions[chunk.dossiers[local].reception].applicant
        kind, contact = (
            ("phone", applicant.phone) if applicant.phone else ("email", applicant.email)
        )
        online.append(
            (
                o0 + number + 1,
                d0 + local + 1,
                "portal",
                at,
                kind if contact else "",
                contact or "",
                check["state"],
                check["check_due"],
                check["checked_at"],
                check["checked_by"],
                check["requested"],
                check["supplement_due"],
                check["completed"],
                check["alarm"],
            )
        )
    documents, results = _digital_rows(chunk, bases, files, leaders)
    outbox = _outbox_rows(chunk, bases, codes, json_text, now)
    rows = {
        "reception": receptions,
        "dossier": dossiers,
        "document": documents,
        "result": results,
        "slip": slips,
        "visit": visits,
        "pause": pauses,
        "consultation": consultations,
        "event": events,
        "online": online,
        "outbox": outbox,
    }
    for name, table in table_map.items():
        extra = table.defaults_text if json_text else table.defaults
        if extra:
            rows[name] = [row + extra for row in rows[name]]
    return rows


# The national portal's acknowledgement comes this long after a message is written; one
# dossier in UNSYNCED_EVERY keeps its last message unacknowledged (a connector down, a message
# refused), so indicator 1.4 is high but not perfect.
ACK_DELAY = timedelta(minutes=3)
UNSYNCED_EVERY = 12
SYNTHETIC_KEY = 0x5E << 120  # outbox keys: this prefix and the event's primary key


def _outbox_rows(chunk: Chunk, bases: dict[str, int], codes: list[str], json_text: bool, now):
    """One outbox message per reportable event (``intake.national.outbox.message_kind``: a
    national status change or a kind reported for itself), written with the event and
    acknowledged ``ACK_DELAY`` later unless that is still to come; every ``UNSYNCED_EVERY``-th
    dossier keeps its last message waiting. The payload is abridged to the codes the
    indicators and the admin read (``MaHoSo``, ``TrangThaiHoSo``, ``KenhThucHien``)."""
    d0, e0, m0 = bases["pk:dossier"], bases["pk:event"], bases["pk:outbox"]
    last: dict[int, int] = {}
    picked = []
    for number, (dossier, kind, _actor, at, before, after, *_rest) in enumerate(chunk.events):
        message = reported_kind(kind, before, after)
        if message is not None:
            last[dossier] = len(picked)
            picked.append((number, dossier, message, at, after))
    waiting = {index for dossier, index in last.items() if (d0 + dossier + 1) % UNSYNCED_EVERY == 0}
    rows = []
    for index, (number, dossier, message, at, after) in enumerate(picked):
        d = chunk.dossiers[dossier]
        status = after or d.status
        payload = {
            "MaHoSo": codes[dossier],
            "TrangThaiHoSo": str(status),
            "KenhThucHien": CHANNEL_CODES.get(d.channel.channel, "1"),
        }
        acknowledged = at + ACK_DELAY
        if index in waiting or (now is not None and acknowledged > now):
            acknowledged = None
        rows.append(
            (
                m0 + index + 1,
                uuid.UUID(int=SYNTHETIC_KEY | (e0 + number + 1)),
                d0 + dossier + 1,
                e0 + number + 1,
                message,
                status,
                json.dumps(payload) if json_text else payload,
                at,
                at,
                1 if acknowledged else 0,
                acknowledged,
                acknowledged,
                "",
            )
        )
    return rows


def _digital_rows(chunk: Chunk, bases: dict[str, int], files: Files, leaders) -> tuple[list, list]:
    """The document lines of every dossier and the result files of those whose result is
    ready: every row names one of the run's shared files."""
    d0, n0, k0 = bases["pk:dossier"], bases["pk:document"], bases["pk:result"]
    # (reception's local, line) → the line's key and stored file: a reused line points at an
    # earlier dossier of the chunk, written before it.
    keys: dict[tuple[int, int], int] = {}
    stored_of: dict[tuple[int, int], object] = {}
    documents = []
    for d in chunk.dossiers:
        rec = chunk.receptions[d.reception]
        for line, kind, value in rec.lines or ():
            pk = n0 + len(documents) + 1
            keys[(rec.local, line)] = pk
            name = rec.documents[line]["name"][:500]
            stored, reused_from, exemption = None, None, ""
            if kind == SCANNED:
                stored = files.scans[value]
            elif kind == REUSED:
                reused_from, stored = keys[value], stored_of[value]
            elif kind == EXEMPT:
                exemption = value
            stored_of[(rec.local, line)] = stored
            resolved = stored is not None or bool(exemption)
            recorded_by = rec.clerk.user_id if resolved else None
            recorded_at = rec.received_at if resolved else None
            if rec.online is not None:  # uploaded by the applicant (and sent again)
                recorded_by, recorded_at = None, rec.online.submitted
                if rec.completed is not None and line in rec.completed[1]:
                    recorded_at = rec.completed[0]
            documents.append(
                (
                    pk,
                    d0 + d.local + 1,
                    line,
                    name,
                    rec.documents[line].get("pages"),
                    stored.name if stored else "",
                    stored.pages if stored else None,
                    stored.size if stored else None,
                    stored.sha256 if stored else "",
                    False,
                    exemption,
                    "",
                    reused_from,
                    recorded_by,
                    recorded_at,
                )
            )
    results = []
    for d in chunk.dossiers:
        kind = result_kind(chunk.receptions[d.reception], d.status)
        if kind is None:
            continue
        competent = d.offering.competent
        signer = (leaders.get(competent) or [None])[0]
        if signer is None:
            continue
        signed = files.signed.get(competent) if kind == "signed" else None
        when = d.finished_at
        results.append(
            (
                k0 + len(results) + 1,
                d0 + d.local + 1,
                files.result.name,
                RESULT_NAME,
                files.result.size,
                files.result.sha256,
                signer.user_id,
                when,
                signed.name if signed else "",
                signed.sha256 if signed else "",
                signer.user_id if signed else None,
                when if signed else None,
                files.certificates.get(competent, "") if signed else "",
            )
        )
    return documents, results


def sequence_values(chunk_needs: dict[str, int], bases: dict[str, int]) -> dict[str, int]:
    """The named sequences' values once the chunk is written."""
    return {
        key: bases[key] + count
        for key, count in chunk_needs.items()
        if key.startswith(SEQUENCE_PREFIXES) and count
    }


# Writing.


def may_trust_keys() -> bool:
    """Whether this PostgreSQL role may switch foreign-key triggers off (superusers)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])


def _upsert_sequences(cursor, values: dict[str, int]) -> None:
    if not values:
        return
    table = connection.ops.quote_name(Sequence._meta.db_table)
    greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
    placeholders = ", ".join(["(%s, %s)"] * len(values))
    params = [item for pair in sorted(values.items()) for item in pair]
    cursor.execute(
        f"INSERT INTO {table} (name, value) VALUES {placeholders} "  # noqa: S608
        f"ON CONFLICT (name) DO UPDATE SET value = {greatest}({table}.value, excluded.value)",
        params,
    )


def _passed_through(value) -> str:
    """JSON columns arrive as text already (``table_rows(json_text=True)``)."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


class CopyWriter:
    """PostgreSQL: every table by binary COPY (the client formats nothing as text but JSON),
    the sequences moved past the keys used."""

    json_text = True

    def __init__(self, table_map: dict[str, Table], *, trust_keys: bool = False):
        self.tables = table_map
        # Large loads skip the foreign-key triggers (superusers only): every key points at a
        # row of the same chunk or at the catalogue and staff read at the start.
        self.trust_keys = trust_keys
        self.statements = {
            name: "COPY {} ({}) FROM STDIN (FORMAT BINARY)".format(
                connection.ops.quote_name(table.db_table),
                ", ".join(connection.ops.quote_name(column) for column in table.columns),
            )
            for name, table in table_map.items()
        }
        self.types: dict[str, list[int]] = {}

    def _column_types(self, cursor) -> dict[str, list[int]]:
        """The type of each column, as binary COPY needs them (read once per connection)."""
        types = {}
        for name, table in self.tables.items():
            cursor.execute(
                "SELECT attname, atttypid::int FROM pg_attribute "
                "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
                [connection.ops.quote_name(table.db_table)],
            )
            oids = dict(cursor.fetchall())
            types[name] = [oids[column] for column in table.columns]
        return types

    def write(self, rows: dict[str, list[tuple]], sequences: dict[str, int]) -> None:
        with transaction.atomic():
            connection.ensure_connection()
            raw = connection.connection
            with raw.cursor() as cursor:
                if not self.types:
                    self.types = self._column_types(cursor)
                set_json_dumps(_passed_through, context=cursor)
                cursor.execute("SET LOCAL synchronous_commit = off")
                if self.trust_keys:
                    cursor.execute("SET LOCAL session_replication_role = replica")
                for name in ORDER:
                    if not rows[name]:
                        continue
                    with cursor.copy(self.statements[name]) as copy:
                        copy.set_types(self.types[name])
                        write_row = copy.write_row
                        for row in rows[name]:
                            write_row(row)
            with connection.cursor() as cursor:
                _upsert_sequences(cursor, sequences)
                self.move_sequences(cursor, rows)

    def move_sequences(self, cursor, rows) -> None:
        for name in ORDER:
            if rows[name]:
                table = self.tables[name].db_table
                quoted = connection.ops.quote_name(table)
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608
                    f"(SELECT MAX(id) FROM {quoted}))",
                    [table],
                )


class OrmWriter:
    """Any database Django supports (SQLite): ``bulk_create`` in batches."""

    json_text = False
    batch_size = 500

    def __init__(self, table_map: dict[str, Table]):
        self.tables = table_map

    def write(self, rows: dict[str, list[tuple]], sequences: dict[str, int]) -> None:
        with transaction.atomic():
            for name in ORDER:
                table = self.tables[name]
                model, attnames = table.model, table.attnames
                objects = [model(**dict(zip(attnames, row, strict=True))) for row in rows[name]]
                # bulk_create stamps auto_now fields with the present: put back the instants
                # of the journeys (bulk_update writes the values as they are).
                stamped = [
                    field.name
                    for field in model._meta.concrete_fields
                    if getattr(field, "auto_now", False)
                ]
                kept = [[getattr(obj, name) for name in stamped] for obj in objects]
                model.objects.bulk_create(objects, batch_size=self.batch_size)
                if stamped and objects:
                    for obj, values in zip(objects, kept, strict=True):
                        for field_name, value in zip(stamped, values, strict=True):
                            setattr(obj, field_name, value)
                    model.objects.bulk_update(objects, stamped, batch_size=self.batch_size)
            with connection.cursor() as cursor:
                _upsert_sequences(cursor, sequences)
