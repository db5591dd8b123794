"""Jobs API: read, cancel, retry (researchers). Errors are headlines; details only for staff."""
from __future__ import annotations

from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from deft_site.jobs import selectors
from deft_site.jobs.models import Job
from deft_site.jobs.services import JobRetryRefused, job_cancel, job_retry
from deft_site.roles import IsResearcher


class JobSerializer(serializers.ModelSerializer):
    percent = serializers.FloatField(read_only=True)
    error = serializers.CharField(source="error_headline", read_only=True)
    can_retry = serializers.BooleanField(read_only=True)
    error_details = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = ["id", "kind", "title", "queue", "status", "progress_done", "progress_total", "percent", "stage",
                  "error", "error_details", "can_retry", "attempts", "worker", "result", "params", "created_at",
                  "queued_at", "started_at", "finished_at"]
        read_only_fields = fields

    def get_error_details(self, job: Job) -> str | None:
        request = self.context.get("request")
        return job.error_details if request is not None and request.user.is_staff else None


class JobViewSet(viewsets.ReadOnlyModelViewSet):
    permission_classes = [IsResearcher]
    serializer_class = JobSerializer

    def get_queryset(self):  # noqa: ANN201
        status_filter = self.request.query_params.get("status")
        return selectors.job_list(status_filter if status_filter in Job.Status.values else None)

    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None, format: str | None = None) -> Response:
        return Response(self.get_serializer(job_cancel(self.get_object())).data)

    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None, format: str | None = None) -> Response:
        try:
            return Response(self.get_serializer(job_retry(self.get_object())).data)
        except JobRetryRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
