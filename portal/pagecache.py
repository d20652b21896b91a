"""Whole-page caching of the public catalogue for visitors who are not signed in.

Catalogue pages are the same for every anonymous visitor (they carry no CSRF token: the
language buttons are plain links), so the rendered page is kept for a short while under its
full address and language. Signed-in staff always get a fresh page. An editor's change shows
within ``PUBLIC_PAGE_CACHE_SECONDS`` (60 s by default); the procedure page's "if you file now"
estimate is at most that old.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

View = Callable[..., HttpResponse]


def _key(request: HttpRequest) -> str:
    path = hashlib.sha256(request.get_full_path().encode()).hexdigest()
    return f"page:{request.LANGUAGE_CODE}:{path}"


def cached_for_visitors(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        seconds = settings.PUBLIC_PAGE_CACHE_SECONDS
        if request.method != "GET" or request.user.is_authenticated or seconds <= 0:
            return view(request, *args, **kwargs)
        key = _key(request)
        cached = cache.get(key)
        if cached is not None:
            status, content, content_type = cached
            response = HttpResponse(content, status=status, content_type=content_type)
        else:
            response = view(request, *args, **kwargs)
            if response.status_code in (200, 404) and not response.cookies:
                cache.set(
                    key, (response.status_code, response.content, response["Content-Type"]), seconds
                )
        patch_cache_control(response, public=True, max_age=seconds)
        return response

    return wrapper
