"""Training runs, systems and scores over the API. Researchers only; each view calls one service."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from deft_site.jobs.api import JobSerializer
from deft_site.parsers import SafeJSONParser
from deft_site.roles import IsResearcher
from selection import selectors
from selection.api.training_serializers import (
    CopyBaselineSerializer,
    GenerateSerializer,
    OutputImportSerializer,
    OutputSerializer,
    ScoreQuerySerializer,
    SystemSerializer,
    TrainingRunCreateSerializer,
    TrainingRunSerializer,
)
from selection.services.scoring import ScoringError, score_report_cached, score_report_preview, scoring_systems
from selection.services.systems import (
    OutputImportError,
    SystemCreateError,
    system_copy_baseline,
    system_generate_submit,
    system_import,
)
from selection.services.training import TrainingRunError, training_loss_log, training_manifest, training_run_create


def _bad(exc: Exception) -> Response:
    return Response({"detail": str(exc), "line": getattr(exc, "line", None), "field": getattr(exc, "field", None)},
                    status=status.HTTP_400_BAD_REQUEST)


def _created(request: Request, in_serializer: type, create: Callable[[dict], Any],
             errors: type[Exception] | tuple[type[Exception], ...], out_serializer: type,
             code: int = status.HTTP_201_CREATED) -> Response:
    """Validate the request body with ``in_serializer`` (400 with its errors), call ``create(validated_data)``
    and answer ``code`` (201) with what it made through ``out_serializer``, or 400 naming the service's
    ``errors``."""
    data = in_serializer(data=request.data)
    data.is_valid(raise_exception=True)
    try:
        obj = create(data.validated_data)
    except errors as exc:
        return _bad(exc)
    return Response(out_serializer(obj).data, status=code)


class TrainingRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Training runs. POST creates a run and queues its training job."""

    permission_classes = [IsResearcher]
    serializer_class = TrainingRunSerializer
    lookup_field = "name"
    queryset = selectors.training_run_list_api()

    @extend_schema(request=TrainingRunCreateSerializer, responses={201: TrainingRunSerializer})
    def create(self, request: Request) -> Response:
        return _created(request, TrainingRunCreateSerializer, lambda v: training_run_create(
            name=v["name"], dataset=v["dataset"], config=v["config"], user=request.user, split=v["split"],
            then_generate=v["then_generate"]), TrainingRunError, TrainingRunSerializer)

    @action(detail=True, methods=["get"])
    def loss(self, request: Request, name: str | None = None, format: str | None = None) -> Response:
        """The loss log ({"step", "loss", "lr"} rows) and the manifest."""
        run = self.get_object()
        return Response({"loss": training_loss_log(run), "manifest": training_manifest(run)})

    @extend_schema(request=GenerateSerializer, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def generate(self, request: Request, name: str | None = None, format: str | None = None) -> Response:
        run = self.get_object()
        return _created(request, GenerateSerializer, lambda v: system_generate_submit(
            name=v["system"], dataset=v["dataset"], split=v["split"] or None, training_run=run,
            num_beams=v["num_beams"], batch_size=v["batch_size"], max_new_tokens=v["max_new_tokens"],
            user=request.user, add_instruction=v["add_instruction"]), SystemCreateError, JobSerializer,
            status.HTTP_202_ACCEPTED)


class SystemViewSet(viewsets.ReadOnlyModelViewSet):
    """Systems (filter with ?dataset=NAME). POST import/ uploads outputs; POST copy-baseline/ adds the baseline."""

    permission_classes = [IsResearcher]
    serializer_class = SystemSerializer
    parser_classes = [SafeJSONParser, MultiPartParser, FormParser]

    def get_queryset(self):  # noqa: ANN201
        return selectors.system_list(self.request.query_params.get("dataset"))

    @extend_schema(responses=OutputSerializer(many=True))
    @action(detail=True, methods=["get"])
    def outputs(self, request: Request, pk: str | None = None, format: str | None = None) -> Response:
        page = self.paginate_queryset(selectors.system_outputs(self.get_object()))
        return self.get_paginated_response(OutputSerializer(page, many=True).data)

    @extend_schema(request=OutputImportSerializer, responses={201: SystemSerializer})
    @action(detail=False, methods=["post"], url_path="import")
    def import_outputs(self, request: Request, format: str | None = None) -> Response:
        return _created(request, OutputImportSerializer, lambda v: system_import(
            stream=v["file"].open("rb"), filename=v["file"].name, dataset=v["dataset"], name=v["name"],
            split=v["split"] or None, description=v["description"], user=request.user),
            (OutputImportError, SystemCreateError), SystemSerializer)

    @extend_schema(request=CopyBaselineSerializer, responses={201: SystemSerializer})
    @action(detail=False, methods=["post"], url_path="copy-baseline")
    def copy_baseline(self, request: Request, format: str | None = None) -> Response:
        return _created(request, CopyBaselineSerializer, lambda v: system_copy_baseline(
            dataset=v["dataset"], split=v["split"] or None, name=v["name"]), SystemCreateError, SystemSerializer)


class ScoreView(APIView):
    """GET /api/scores/?dataset=D&split=S&system=A&system=B[&by=task]: the cached score report, or one scored now and not saved (a GET writes nothing)."""

    permission_classes = [IsResearcher]

    @extend_schema(parameters=[ScoreQuerySerializer], responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        query = {"dataset": request.query_params.get("dataset"), "split": request.query_params.get("split", ""),
                 "system": request.query_params.getlist("system"), "by": request.query_params.get("by", "dataset")}
        data = ScoreQuerySerializer(data=query)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            systems = scoring_systems(dataset=v["dataset"], names=v["system"])
            query = {"dataset": v["dataset"], "split": v["split"] or None, "systems": systems, "by": v["by"]}
            report = score_report_cached(**query) or score_report_preview(**query)
        except ScoringError as exc:
            return _bad(exc)
        return Response(report.result)
