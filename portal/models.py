"""Staff accounts: which agency and department a person works for, and their roles."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Roles are Django groups of these names; permissions come with the group."""

    CLERK = "clerk", _("Counter clerk")
    OFFICER = "officer", _("Officer")
    DEPARTMENT_HEAD = "department_head", _("Department head")
    LEADER = "leader", _("Leader")
    MANAGER = "manager", _("Manager")
    CATALOGUE_EDITOR = "catalogue_editor", _("Catalogue editor")


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    agency = models.ForeignKey(
        "procedures.Agency",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="staff",
    )
    department = models.ForeignKey(
        "procedures.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    title = models.CharField(_("job title"), max_length=120, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} ({self.agency})"

    @property
    def roles(self) -> set[str]:
        """Role codes of this person, read from the (usually prefetched) groups."""
        return {group.name for group in self.user.groups.all()} & set(Role.values)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))
