"""Load the demo catalogue and staff: idempotent, one transaction, prints the demo logins."""

import json
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _
from tqdm import tqdm

from portal.models import Role, StaffProfile
from portal.roles import ensure_role_groups
from portal.templatetags.vn import person_name
from procedures.catalogue import (
    UPSERT_CREATED,
    UPSERT_UNCHANGED,
    UPSERT_UPDATED,
    Reference,
    clean_process,
    replace_process,
    upsert_procedure,
    validate_procedure,
)
from procedures.models import Agency, AgencyLevel, Department, Field, Procedure

DEMO_PASSWORD = "motcua2026"

# Wraps an iterable to show how far a long loop has gone; by default shows nothing.
Progress = Callable[..., Iterable]


def no_progress(items: Iterable, **kwargs) -> Iterable:
    return items


class DemoDataError(Exception):
    pass


class Command(BaseCommand):
    help = (
        "Load the demo levels, agencies, departments, fields, procedures and staff accounts. "
        "Safe to run again: rows are matched by code, slug or username and updated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        demo = Path(settings.BASE_DIR) / "fixtures" / "demo"
        parser.add_argument("--catalogue", type=Path, default=demo / "catalogue.json")
        parser.add_argument("--staff", type=Path, default=demo / "staff.json")

    def handle(self, *args, catalogue: Path, staff: Path, **options) -> None:
        catalogue_data = read_json(catalogue, dict)
        staff_data = read_json(staff, list)
        ensure_role_groups()
        # On stderr, so the summary and the logins below stay clean on stdout.
        progress = partial(
            tqdm, file=self.stderr._out, disable=options["verbosity"] == 0, mininterval=0.5
        )
        try:
            with transaction.atomic():
                counts = load_catalogue(catalogue_data, progress)
                logins, staff_counts = load_staff(staff_data, progress)
        except DemoDataError as error:
            raise CommandError(str(error)) from None
        except KeyError as error:
            raise CommandError(
                _("The demo data lacks a required key: %(key)s.") % {"key": error.args[0]}
            ) from None
        counts.update(staff_counts)
        self.stdout.write(self.style.SUCCESS(_("Demo data loaded.")))
        self.stdout.write(
            _(
                "Levels: %(levels)d, agencies: %(agencies)d, departments: %(departments)d, "
                "fields: %(fields)d."
            )
            % counts
        )
        self.stdout.write(
            _(
                "Procedures: %(procedures)d (%(created)d created, %(updated)d updated, "
                "%(unchanged)d unchanged)."
            )
            % counts
        )
        self.stdout.write(_("Staff accounts: %(staff)d (%(staff_created)d created).") % counts)
        self.stdout.write("")
        self.stdout.write(_("Demo logins:"))
        self.stdout.write(format_table(logins))
        self.stdout.write("")
        self.stdout.write(
            _(
                "New accounts get the password “%(password)s”; accounts that already existed "
                "keep the password they have."
            )
            % {"password": DEMO_PASSWORD}
        )


def read_json(path: Path, expected: type) -> Any:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CommandError(_("%(path)s: no such file.") % {"path": path}) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CommandError(
            _("%(path)s is not valid JSON: %(error)s") % {"path": path, "error": error}
        ) from None
    if not isinstance(data, expected):
        raise CommandError(
            _("%(path)s: expected a JSON %(kind)s at the top.")
            % {"path": path, "kind": "object" if expected is dict else "list"}
        )
    return data


def load_catalogue(data: dict[str, Any], progress: Progress = no_progress) -> dict[str, int]:
    """Upsert levels, agencies (parents first), departments, fields, then every procedure."""
    for level in data.get("levels", []):
        AgencyLevel.objects.update_or_create(
            code=level["code"],
            defaults={
                "name": level["name"],
                "name_en": level.get("name_en", ""),
                "rank": level["rank"],
            },
        )
    levels = {level.code: level for level in AgencyLevel.objects.all()}
    departments = 0
    for item in data.get("agencies", []):
        parent = None
        if item.get("parent"):
            parent = Agency.objects.filter(slug=item["parent"]).first()
            if parent is None:
                raise DemoDataError(
                    _("Agency %(slug)s: its parent %(parent)s must come before it.")
                    % {"slug": item["slug"], "parent": item["parent"]}
                )
        if item.get("level") not in levels:
            raise DemoDataError(
                _("Agency %(slug)s: unknown level %(level)s.")
                % {"slug": item["slug"], "level": item.get("level")}
            )
        agency, _created = Agency.objects.update_or_create(
            slug=item["slug"],
            defaults={
                "parent": parent,
                "level": levels[item["level"]],
                "name": item["name"],
                "short_name": item.get("short_name", ""),
                "electronic_id": item["electronic_id"],
                "address": item.get("address", ""),
                "phone": item.get("phone", ""),
                "email": item.get("email", ""),
                "office_hours_text": item.get("office_hours_text", ""),
                "has_counter": bool(item.get("has_counter", False)),
            },
        )
        for department in item.get("departments", []):
            Department.objects.update_or_create(
                agency=agency,
                code=department["code"],
                defaults={"name": department["name"], "phone": department.get("phone", "")},
            )
            departments += 1
    for item in data.get("fields", []):
        # By code, else by name (unique too): a field made earlier, e.g. by generate_catalogue.
        field = (
            Field.objects.filter(code=item["code"]).first()
            or Field.objects.filter(name=item["name"]).first()
            or Field()
        )
        field.code, field.name = item["code"], item["name"]
        field.save()

    # Check every procedure first so that one run reports every problem.
    reference = Reference.load()
    procedures = data.get("procedures", [])
    problems = [
        _("Procedure %(code)s, column %(column)s: %(message)s")
        % {"code": procedure.get("code") or f"#{number}", "column": column, "message": message}
        for number, procedure in enumerate(procedures, start=1)
        for column, message in validate_procedure(procedure, reference)
    ]
    if problems:
        raise DemoDataError("\n".join(problems))
    outcomes = {UPSERT_CREATED: 0, UPSERT_UPDATED: 0, UPSERT_UNCHANGED: 0}
    for procedure in progress(procedures, desc=_("Procedures"), unit=""):
        outcomes[upsert_procedure(procedure, reference)[1]] += 1
    load_agency_processes(data.get("agency_processes", []), reference)
    return {
        "levels": len(data.get("levels", [])),
        "agencies": len(data.get("agencies", [])),
        "departments": departments,
        "fields": len(data.get("fields", [])),
        "procedures": len(procedures),
        **outcomes,
    }


def load_agency_processes(items: list[dict[str, Any]], reference: Reference) -> None:
    """An agency's own process of a procedure (``{"procedure", "agency", "process"}``), which
    replaces the default one for the dossiers that agency receives: checked, then written."""
    problems, processes = [], []
    for item in items:
        where = {"code": item["procedure"], "agency": item["agency"]}
        procedure = (
            Procedure.objects.filter(code=item["procedure"])
            .prefetch_related("agencies", "channels")
            .first()
        )
        agency = procedure and next(
            (agency for agency in procedure.agencies.all() if agency.slug == item["agency"]), None
        )
        if agency is None:
            problems.append(
                _("Process of %(code)s at %(agency)s: no such procedure carried out there.") % where
            )
            continue
        limit = procedure.legal_time_limit()
        steps, found = clean_process(
            item["process"], limit and (limit.time_value, limit.time_unit), reference
        )
        problems += [
            _("Process of %(code)s at %(agency)s: %(message)s") % {**where, "message": message}
            for _column, message in found
        ]
        processes.append((procedure, agency, steps))
    if problems:
        raise DemoDataError("\n".join(problems))
    for procedure, agency, steps in processes:
        replace_process(procedure, steps, agency=agency, reference=reference)


def load_staff(
    data: list[dict[str, Any]], progress: Progress = no_progress
) -> tuple[list[list[str]], dict[str, int]]:
    """Upsert staff users by username with their profile and role groups.

    The demo password is set only when the account is created, so a changed password
    survives a re-run. Role groups not listed are taken away; other groups are kept.
    """
    role_groups = {group.name: group for group in Group.objects.filter(name__in=Role.values)}
    logins, created_count = [], 0
    demo_hash = None
    for item in progress(data, desc=_("Staff accounts"), unit=""):
        username = item["username"]
        unknown = sorted(set(item.get("roles", [])) - set(Role.values))
        if unknown:
            raise DemoDataError(
                _("Staff %(username)s: unknown roles %(roles)s; the roles are: %(known)s.")
                % {
                    "username": username,
                    "roles": ", ".join(unknown),
                    "known": ", ".join(Role.values),
                }
            )
        agency = Agency.objects.filter(slug=item["agency"]).first()
        if agency is None:
            raise DemoDataError(
                _("Staff %(username)s: unknown agency %(agency)s.")
                % {"username": username, "agency": item["agency"]}
            )
        department = None
        if item.get("department"):
            department = Department.objects.filter(agency=agency, code=item["department"]).first()
            if department is None:
                raise DemoDataError(
                    _("Staff %(username)s: agency %(agency)s has no department %(department)s.")
                    % {
                        "username": username,
                        "agency": agency.slug,
                        "department": item["department"],
                    }
                )
        user, created = User.objects.update_or_create(
            username=username,
            defaults={
                "first_name": item.get("first_name", ""),
                "last_name": item.get("last_name", ""),
                "is_staff": bool(item.get("is_staff", False)),
                "is_superuser": bool(item.get("is_superuser", False)),
                "is_active": True,
            },
        )
        if created:
            # One hash for every demo account: hashing is slow by design, ~0.4 s an account.
            if demo_hash is None:
                demo_hash = make_password(DEMO_PASSWORD)
            user.password = demo_hash
            user.save(update_fields=["password"])
            created_count += 1
        StaffProfile.objects.update_or_create(
            user=user,
            defaults={
                "agency": agency,
                "department": department,
                "title": item.get("title", ""),
            },
        )
        wanted = [role_groups[role] for role in item.get("roles", [])]
        user.groups.remove(*[g for g in role_groups.values() if g not in wanted])
        user.groups.add(*wanted)
        logins.append(
            [
                username,
                person_name(user),  # family name first: “Trần Thị Hoa”
                ", ".join(str(Role(role).label) for role in item.get("roles", []))
                or (_("administrator") if user.is_superuser else ""),
                f"{agency} — {department}" if department else str(agency),
            ]
        )
    return logins, {"staff": len(data), "staff_created": created_count}


def format_table(rows: list[list[str]]) -> str:
    header = [_("username"), _("name"), _("roles"), _("works at")]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [header, *rows]
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines)
