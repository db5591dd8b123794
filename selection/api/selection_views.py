"""Selection-run API: list, detail (with summary), create (validates and enqueues), picks JSONL, export."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from deft_site.roles import IsResearcher
from selection import selectors as sel
from selection.api.selection_serializers import (
    SelectionExportSerializer,
    SelectionRunCreateSerializer,
    SelectionRunDetailSerializer,
    SelectionRunSerializer,
)
from selection.api.serializers import DatasetSerializer
from selection.api.views import jsonl_only
from selection.downloads import picks_jsonl_response
from selection.services.selection_runs import SelectionError, selection_run_export, selection_run_submit


class SelectionRunViewSet(viewsets.ReadOnlyModelViewSet):
    """Selection runs. POST parameters to start one (a background job); GET its picks as JSONL."""

    permission_classes = [IsResearcher]
    lookup_field = "name"

    def get_queryset(self):  # noqa: ANN201
        return sel.selection_run_list()

    def get_serializer_class(self):  # noqa: ANN201
        return SelectionRunDetailSerializer if self.action == "retrieve" else SelectionRunSerializer

    @extend_schema(request=SelectionRunCreateSerializer, responses={201: SelectionRunSerializer})
    def create(self, request: Request) -> Response:
        data = SelectionRunCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dataset = sel.dataset_by_name(data.validated_data["dataset"])
        if dataset is None:
            return Response({"dataset": ["no dataset with this name"]}, status=status.HTTP_400_BAD_REQUEST)
        name = data.validated_data.get("name")
        # every other key, as sent: the service's one validation names unknown ones and bad values
        params = {key: value for key, value in request.data.items() if key not in ("dataset", "name")}
        try:
            run = selection_run_submit(dataset=dataset, params=params, name=name, user=request.user)
        except SelectionError as exc:
            return Response({"detail": str(exc), "field": exc.field}, status=status.HTTP_400_BAD_REQUEST)
        return Response(SelectionRunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/x-ndjson"): bytes})
    @action(detail=True, methods=["get"])
    def picks(self, request: Request, name: str | None = None, format: str | None = None):  # noqa: ANN201
        jsonl_only(format)
        return picks_jsonl_response(self.get_object())

    @extend_schema(request=SelectionExportSerializer, responses={201: DatasetSerializer})
    @action(detail=True, methods=["post"])
    def export(self, request: Request, name: str | None = None, format: str | None = None) -> Response:
        data = SelectionExportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            dataset = selection_run_export(run=self.get_object(), name=data.validated_data.get("name"),
                                           user=request.user)
        except SelectionError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(DatasetSerializer(dataset).data, status=status.HTTP_201_CREATED)
