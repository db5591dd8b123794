"""The floor benchmark's URLs (bench/load/floor.py): the site's own, beside the rungs of a ladder of requests that
each do one thing more than the last, so that what a signed-in request costs before any annotation code runs is
measured rather than estimated. Bench only: the site never routes these."""
from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


def _one_round_trip() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def session_read(request: HttpRequest) -> HttpResponse:
    """The signed-in session (from the Redis cache), no user row."""
    return HttpResponse(str(request.session.get("_auth_user_id")))


def one_statement(request: HttpRequest) -> HttpResponse:
    """One PostgreSQL round trip, nobody signed in (the connection's health check comes with it)."""
    _one_round_trip()
    return HttpResponse("ok")


def session_and_statement(request: HttpRequest) -> HttpResponse:
    """The session and one round trip: the least a signed-in write could cost, before validating or writing."""
    who = request.session.get("_auth_user_id")
    _one_round_trip()
    return HttpResponse(str(who))


def signed_in_user(request: HttpRequest) -> HttpResponse:
    """Django's request.user: the session, then the user row and its session hash (the connection check first)."""
    return HttpResponse(str(request.user.pk))


class SignedInApi(APIView):
    """DRF with the API's defaults (session authentication with CSRF, IsAuthenticated, the user throttle)."""

    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})

    def post(self, request: Request) -> Response:
        return Response({"ok": True})


urlpatterns = [
    path("floor/session/", session_read),
    path("floor/statement/", one_statement),
    path("floor/session-statement/", session_and_statement),
    path("floor/user/", signed_in_user),
    path("floor/api/", SignedInApi.as_view()),
    path("", include("deft_site.urls")),
]
