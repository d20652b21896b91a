"""Serving stored files (slips, attachments, blank forms) to a person a view has let through.

Every file lives in a Django storage (``STORAGES["default"]``: the filesystem under
``MEDIA_ROOT`` or a private S3 bucket, ``docs/storage.md``), never at a public address. A view
checks access first, then answers with ``stored_file_response``: the bytes streamed from the
storage through the portal (the default), or with ``S3_SIGNED_URLS=1`` a redirect to an address
of the bucket signed for ``S3_SIGNED_URL_SECONDS``, which carries the file's name and type.
A file missing from the storage answers 404.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header

NOT_CACHED = "private, no-store"


def stored_file_response(
    name: str,
    *,
    filename: str,
    content_type: str | None = None,
    as_attachment: bool = True,
    storage: Storage | None = None,
) -> HttpResponse:
    """The stored file ``name`` under ``filename``: a download (``as_attachment``) or shown in
    the browser (PDFs to print), never cached on the way."""
    storage = storage or default_storage
    if settings.S3_SIGNED_URLS:
        return _signed_redirect(storage, name, filename, content_type, as_attachment)
    try:
        handle = storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=as_attachment, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = NOT_CACHED
    return response


def _signed_redirect(
    storage: Storage, name: str, filename: str, content_type: str | None, as_attachment: bool
) -> HttpResponseRedirect:
    """A redirect to the object's address signed for ``S3_SIGNED_URL_SECONDS``; the bucket
    answers with the name, type and caching the portal would have sent."""
    if not name or not storage.exists(name):
        raise Http404
    parameters = {
        "ResponseContentDisposition": content_disposition_header(as_attachment, filename),
        "ResponseCacheControl": NOT_CACHED,
    }
    if content_type:
        parameters["ResponseContentType"] = content_type
    url = storage.url(name, parameters=parameters, expire=settings.S3_SIGNED_URL_SECONDS)
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = NOT_CACHED
    return response
