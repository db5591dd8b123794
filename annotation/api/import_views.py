"""POST /api/studies/import/ (multipart: name, format, file; optional dataset, dataset_name, split, status): a new
study from a Potato or Label Studio file, owned by the caller (researchers only). All or nothing: a bad file is a
400 whose detail names the row and the field."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation.api.serializers import StudySerializer
from annotation.interchange import READERS
from annotation.services.interchange import STATUS_AFTER_IMPORT, ImportRejected, interchange_read, study_import_create
from deft_site.roles import IsResearcher
from selection.selectors import dataset_by_name


class StudyImportSerializer(serializers.Serializer):
    name = serializers.SlugField(max_length=100)
    format = serializers.ChoiceField(choices=sorted(READERS))
    file = serializers.FileField()
    dataset = serializers.CharField(required=False, allow_blank=True, default="",
                                    help_text="An existing dataset holding the file's example ids (default: a new one).")
    dataset_name = serializers.CharField(required=False, allow_blank=True, default="")
    split = serializers.CharField(required=False, default="test")
    status = serializers.ChoiceField(choices=list(STATUS_AFTER_IMPORT), required=False, default="closed")


class StudyImportView(APIView):
    permission_classes = [IsResearcher]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": StudyImportSerializer}, responses={201: dict, 400: dict})
    def post(self, request: Request) -> Response:
        form = StudyImportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        d = form.validated_data
        dataset = None
        if d["dataset"]:
            dataset = dataset_by_name(d["dataset"])
            if dataset is None:
                return Response({"detail": f"No dataset {d['dataset']!r}."}, status=status.HTTP_400_BAD_REQUEST)
        try:
            records = interchange_read(d["file"].read(), d["format"])
            done = study_import_create(name=d["name"], records=records, dataset=dataset,
                                       dataset_name=d["dataset_name"], split=d["split"], status=d["status"],
                                       source=f"{d['format']} file {d['file'].name}", user=request.user)
        except ImportRejected as exc:
            return Response({"detail": f"{exc} Nothing was imported."}, status=status.HTTP_400_BAD_REQUEST)
        j = done.judgments
        return Response({"study": StudySerializer(done.study).data, "dataset": done.dataset.name,
                         "new_dataset": done.new_dataset, "systems": done.systems, "new_systems": done.new_systems,
                         "examples": done.examples, "pairs": done.pairs, "judgments": j.judgments, "raters": j.raters,
                         "new_raters": j.new_raters}, status=status.HTTP_201_CREATED)
