"""A database that is down answers 503 Service Unavailable, never a 500.

While PostgreSQL is stopped, restarting, or has just killed this server's connections, every request that
touches it raises `django.db.OperationalError` (or `InterfaceError` on a connection that died under it). That
is not a bug in the request: it is a temporary outage, and the client should try again (the rating page keeps
unacknowledged answers and resends them on any 5xx). One mapping, used twice:

- `DatabaseOutageMiddleware.process_exception` for errors raised by a view (DRF re-raises them to Django);
- `server_error` (the `handler500`) for those raised elsewhere, e.g. a session saved by a middleware after the
  view. Django calls the 500 handler inside its `except` block, so `sys.exc_info()` still names the error.

The response touches no database (no session, no user, no context processors), so it can always be sent.
"""
from __future__ import annotations

import logging
import sys
from typing import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import server_error as django_server_error

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
MESSAGE = "The database is unavailable for a moment. Nothing you sent was stored by this request; try again."
_HTML = ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Service unavailable</title>"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head><body>"
         "<h1>Back in a moment</h1><p>" + MESSAGE + "</p></body></html>")


def is_database_outage(exc: BaseException | None) -> bool:
    """An error that says the database cannot be reached (not a bad query: those are ProgrammingError etc.)."""
    return isinstance(exc, (OperationalError, InterfaceError))


def outage_response(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: JSON for the API and for clients that ask for JSON, a small page otherwise."""
    wants_json = request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", "")
    if wants_json:
        response: HttpResponse = JsonResponse({"detail": MESSAGE, "code": "database_unavailable"}, status=503)
    else:
        response = HttpResponse(_HTML, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseOutageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_outage(exception):
            return None
        logger.warning("Database unavailable for %s %s: %s", request.method, request.path,
                       str(exception).strip().splitlines()[0] if str(exception).strip() else type(exception).__name__)
        return outage_response(request)


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """handler500: a database outage raised outside a view is a 503 too; anything else is Django's 500."""
    if is_database_outage(sys.exc_info()[1]):
        return outage_response(request)
    return django_server_error(request, template_name=template_name)
