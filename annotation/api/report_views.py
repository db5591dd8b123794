"""GET /api/studies/<name or id>/report/: the study report as JSON (researchers only).

Before close the report is unblinded only with ?peek=1, and each such call is logged as a peek.
?exclude_flagged=1 makes the version without flagged raters primary (both versions are always included).
"""
from __future__ import annotations

import json

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation import blinding, reports, services
from annotation.selectors import study_lookup
from deft_site.roles import IsResearcher


class StudyReportView(APIView):
    permission_classes = [IsResearcher]

    @extend_schema(parameters=[
        OpenApiParameter("peek", bool, description="Before close: look anyway (logged)."),
        OpenApiParameter("exclude_flagged", bool, description="Primary results without flagged raters."),
    ], responses={200: dict})
    def get(self, request: Request, ref: str) -> Response:
        study = study_lookup(ref)
        try:
            blinding.unblind(study=study, user=request.user, peek=request.query_params.get("peek"),
                             channel="API report")
        except services.NotAllowed as exc:
            raise PermissionDenied(str(exc)) from None
        exclude = request.query_params.get("exclude_flagged") in ("1", "true", "yes")
        report = reports.study_report(study, exclude_flagged=exclude)
        # Round-trip through json so tuple keys / numpy scalars never reach the renderer.
        return Response(json.loads(json.dumps(report, default=lambda o: o.item() if hasattr(o, "item") else str(o))))
