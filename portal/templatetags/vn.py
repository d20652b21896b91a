"""Formatting for Vietnamese readers: ``{{ amount|money }}``, ``{{ day|vndate }}``."""

from datetime import date, datetime
from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone

from portal import text

register = template.Library()


@lru_cache(maxsize=512)
def _address(urlconf: str, prefix: str, name: str, args: tuple) -> str:
    return reverse(name, urlconf=urlconf, args=args)


@register.simple_tag
def address(name: str, *args) -> str:
    """``{% url name arg %}`` resolved once per process: an address depends only on the URL
    configuration and the script prefix, which are in the key. For the links public pages
    repeat outside ``base.html``'s chrome cache (the language links, the search box, the
    calendar): Django's ``reverse`` costs a few tens of µs each."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _address(urlconf, get_script_prefix(), name, tuple(str(arg) for arg in args))


@register.filter
def money(amount: int | None) -> str:
    return text.format_money(amount)


@register.filter
def vndate(value) -> str:
    return text.format_date(value)


@register.filter
def vndatetime(value) -> str:
    return text.format_datetime(value)


def _day_month_year(value: date) -> str:
    # Decree 30/2020: a leading zero on days below 10 and on months 1 and 2.
    month = f"{value.month:02d}" if value.month <= 2 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


@register.filter
def vnlongdate(value: date | datetime | None) -> str:
    """The forms' date: ``date(2026, 2, 5)`` → ``"ngày 05 tháng 02 năm 2026"``."""
    if not value:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return _day_month_year(value)


@register.filter
def vnlongdatetime(value: datetime | None) -> str:
    """``"08 giờ 05 phút, ngày 26 tháng 11 năm 2026"``, in Vietnam's time."""
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{value:%H} giờ {value:%M} phút, {_day_month_year(value)}"


@register.filter
def person_name(user) -> str:
    """Vietnamese order: family name first (“Trần Minh Khoa”), else the username; nobody
    (a dossier filed online, not checked yet): empty."""
    if user is None:
        return ""
    full = f"{user.last_name} {user.first_name}".strip()
    return full or user.get_username()
