"""The role groups and the permissions each one carries.

Groups are created (or brought up to date) after every ``migrate``, so a fresh database and an
old one end with the same roles; editing a group by hand in the admin is undone on the next
migrate, by design: roles are defined here, in code review.
"""

from django.contrib.auth.models import Group, Permission

from portal.models import Role

CATALOGUE_MODELS = [
    "agencylevel",
    "agency",
    "department",
    "field",
    "procedure",
    "procedurechannel",
    "requireddocument",
    "feeline",
    "legalbasis",
    "processstep",
]

ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    Role.CLERK: [("procedures", f"view_{model}") for model in CATALOGUE_MODELS],
    Role.OFFICER: [("procedures", f"view_{model}") for model in CATALOGUE_MODELS],
    Role.DEPARTMENT_HEAD: [("procedures", f"view_{model}") for model in CATALOGUE_MODELS],
    Role.LEADER: [("procedures", f"view_{model}") for model in CATALOGUE_MODELS],
    Role.MANAGER: [("procedures", f"view_{model}") for model in CATALOGUE_MODELS],
    Role.CATALOGUE_EDITOR: [
        ("procedures", f"{action}_{model}")
        for model in CATALOGUE_MODELS
        for action in ("add", "change", "delete", "view")
    ],
}


def extra_permissions() -> dict[str, list[tuple[str, str]]]:
    """Other apps add their permissions to roles here as they grow (calendar, dossiers …)."""
    from django.apps import apps

    extra: dict[str, list[tuple[str, str]]] = {}
    for config in apps.get_app_configs():
        for role, perms in getattr(config, "role_permissions", {}).items():
            extra.setdefault(role, []).extend(perms)
    return extra


def ensure_role_groups(using: str = "default", **kwargs) -> None:
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    # post_migrate reaches the apps one by one; make sure every app's permissions exist first.
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    wanted = {role: list(perms) for role, perms in ROLE_PERMISSIONS.items()}
    for role, perms in extra_permissions().items():
        wanted.setdefault(role, []).extend(perms)
    for role, perms in wanted.items():
        group, _ = Group.objects.get_or_create(name=role)
        q = Permission.objects.none()
        for app_label, codename in perms:
            q |= Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        group.permissions.set(q)
