"""Vietnamese for everyone unless they choose English.

Django's LocaleMiddleware follows the browser's Accept-Language, so a citizen whose phone is
set to English would get English pages. The portal is Vietnamese first: only the language
cookie set by the VI/EN buttons (``/i18n/setlang/``) changes it.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers


class PortalLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        if code not in dict(settings.LANGUAGES):
            code = settings.LANGUAGE_CODE
        translation.activate(code)
        request.LANGUAGE_CODE = code
        response = self.get_response(request)
        patch_vary_headers(response, ["Cookie"])
        response.headers.setdefault("Content-Language", code)
        return response


class RefuseNulMiddleware:
    """A request with a NUL character in its path, query or form-encoded body answers 400.

    PostgreSQL cannot store or even compare text holding NUL: a view that looks a code up, or
    logs a gateway's parameters, would otherwise fail with a server error. Forms refuse NUL on
    their own (Django's ``ProhibitNullCharactersValidator``); this covers what is read without
    a form (the portal sets no upload handlers of its own, so reading a multipart body here
    changes nothing for the views)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._has_nul(request):
            from django.http import HttpResponseBadRequest
            from django.utils.translation import gettext

            return HttpResponseBadRequest(
                gettext("Null characters are not allowed."), content_type="text/plain"
            )
        return self.get_response(request)

    @staticmethod
    def _has_nul(request: HttpRequest) -> bool:
        if "\x00" in request.path:
            return True
        sources = [request.GET]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            sources.append(request.POST)
        return any(
            "\x00" in key or any("\x00" in value for value in values)
            for source in sources
            for key, values in source.lists()
        )


class FreshBadgeMiddleware:
    """After a signed-in person's POST (an action on a dossier, a reception, a payment …), the
    navigation's badge they see next is counted afresh, not read from the cache
    (``intake.processing.views.inbox.waiting_total``): the person who acted never sees a count
    their own action made stale. Others see it within ``INBOX_BADGE_SECONDS``."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.method == "POST" and user is not None and user.is_authenticated:
            from django.core.cache import cache

            from intake.processing.views.inbox import badge_key

            cache.delete(badge_key(user.pk))
        return response
