"""Formatting for Vietnamese readers: ``{{ amount|money }}``, ``{{ day|vndate }}``."""

from django import template

from portal import text

register = template.Library()


@register.filter
def money(amount: int | None) -> str:
    return text.format_money(amount)


@register.filter
def vndate(value) -> str:
    return text.format_date(value)


@register.filter
def vndatetime(value) -> str:
    return text.format_datetime(value)


@register.filter
def person_name(user) -> str:
    """Vietnamese order: family name first (“Trần Minh Khoa”), else the username."""
    full = f"{user.last_name} {user.first_name}".strip()
    return full or user.get_username()
