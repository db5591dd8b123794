"""Selection API: datasets (list, import, rows, export). Researchers only. (Jobs: deft_site.jobs.api.)"""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from deft_site.roles import IsResearcher
from selection import selectors
from selection.api.serializers import DatasetImportSerializer, DatasetSerializer, ExampleSerializer
from selection.downloads import jsonl_download
from selection.services.datasets import DatasetImportError, dataset_import


def jsonl_only(format: str | None) -> None:
    """Downloads in JSON Lines have no other format: a format suffix (".json") is a clear 404, not a 500."""
    if format is not None:
        raise NotFound(f"This download is JSON Lines only: drop the '.{format}' suffix from the URL.")


class DatasetViewSet(viewsets.ReadOnlyModelViewSet):
    """Datasets. POST a multipart file to import it (all or nothing; errors name the line and field)."""

    permission_classes = [IsResearcher]
    serializer_class = DatasetSerializer
    lookup_field = "name"
    queryset = selectors.dataset_list_newest_first()

    @extend_schema(request=DatasetImportSerializer, responses={201: DatasetSerializer})
    def create(self, request: Request) -> Response:
        data = DatasetImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        try:
            dataset = dataset_import(
                stream=upload.open("rb"), name=data.validated_data["name"], filename=upload.name,
                default_split=data.validated_data["split"], description=data.validated_data["description"],
                user=request.user, skip_invalid=data.validated_data["skip_invalid"],
            )
        except DatasetImportError as exc:
            return Response({"detail": str(exc), "line": exc.line, "field": exc.field}, status=status.HTTP_400_BAD_REQUEST)
        return Response(DatasetSerializer(dataset).data, status=status.HTTP_201_CREATED)

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=ExampleSerializer(many=True))
    @action(detail=True, methods=["get"])
    def examples(self, request: Request, name: str | None = None, format: str | None = None) -> Response:
        examples = selectors.dataset_examples(self.get_object(), request.query_params, ordered=True)
        page = self.paginate_queryset(examples)
        return self.get_paginated_response(ExampleSerializer(page, many=True).data)

    @extend_schema(responses={(200, "application/x-ndjson"): bytes})
    @action(detail=True, methods=["get"])
    def export(self, request: Request, name: str | None = None, format: str | None = None):  # noqa: ANN201
        jsonl_only(format)
        dataset = self.get_object()
        return jsonl_download(selectors.dataset_example_stream(dataset), f"{dataset.name}.jsonl")
