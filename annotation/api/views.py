"""REST API: researchers manage studies and read unblinded judgments; annotators get and answer their own
pairs. An annotator asking for a slot that is not theirs gets 404, a researcher endpoint 403."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annotation import blinding, interchange, review_queue, selectors, services
from annotation.api import serializers as s
from annotation.models import Slot, Study
from deft_site.roles import IsResearcher


def _refuse(exc: services.AnnotationError) -> Response:
    code = {services.NotAllowed: status.HTTP_403_FORBIDDEN, services.StudyNotLive: status.HTTP_409_CONFLICT,
            services.StudyFrozen: status.HTTP_409_CONFLICT, services.WorkLeft: status.HTTP_409_CONFLICT}.get(type(exc), status.HTTP_400_BAD_REQUEST)
    return Response({"detail": str(exc)}, status=code)


class StudyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Studies (researchers only)."""

    permission_classes = [IsResearcher]
    serializer_class = s.StudySerializer
    lookup_field = "name"
    queryset = selectors.study_list_api()

    def get_queryset(self):  # noqa: ANN201
        """The list holds the studies this researcher may manage (all of them for admins)."""
        qs = super().get_queryset()
        return blinding.manageable_studies(self.request.user, qs) if self.action == "list" else qs

    def get_object(self) -> Study:
        """Another researcher's study: 403 (admins pass, logged), through annotation.blinding."""
        study = super().get_object()
        try:
            blinding.require_manager(self.request.user, study, self.action)
        except services.NotAllowed as exc:
            raise PermissionDenied(str(exc)) from None
        return study

    @extend_schema(request=s.StudyCreateSerializer, responses={201: s.StudySerializer})
    def create(self, request: Request) -> Response:
        data = s.StudyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            study = services.study_create(**data.validated_data, user=request.user)
        except services.AnnotationError as exc:
            return _refuse(exc)
        return Response(s.StudySerializer(study).data, status=status.HTTP_201_CREATED)

    def _transition(self, request: Request, func) -> Response:  # noqa: ANN001
        try:
            study = func(study=self.get_object(), user=request.user)
        except services.AnnotationError as exc:
            return _refuse(exc)
        return Response(s.StudySerializer(study).data)

    @extend_schema(request=None, responses=s.StudySerializer)
    @action(detail=True, methods=["post"])
    def launch(self, request: Request, name: str) -> Response:
        return self._transition(request, services.study_launch)

    @extend_schema(request=None, responses=s.StudySerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, name: str) -> Response:
        return self._transition(request, services.study_pause)

    @extend_schema(request=None, responses=s.StudySerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, name: str) -> Response:
        return self._transition(request, services.study_resume)

    @extend_schema(request=None, responses=s.StudySerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, name: str) -> Response:
        return self._transition(request, services.study_close)

    @extend_schema(parameters=[OpenApiParameter("peek", bool, description="Before close: look anyway (logged).")],
                   responses={200: dict})
    @action(detail=True, methods=["get"])
    def judgments(self, request: Request, name: str) -> Response:
        """Unblinded judgments, one flat record each; after close, or with ?peek=1 (logged)."""
        study = self.get_object()
        try:
            blinding.unblind(study=study, user=request.user, peek=request.query_params.get("peek"),
                             channel="API judgments")
        except services.NotAllowed as exc:
            raise PermissionDenied(str(exc)) from None
        return Response({"results": selectors.judgment_records(study)})

    @extend_schema(parameters=[
        OpenApiParameter("kind", str, enum=list(interchange.FORMATS), description="The file's format."),
        OpenApiParameter("peek", bool, description="Before close: look anyway (logged)."),
    ], responses={200: bytes})
    @action(detail=True, methods=["get"], url_path="research-export")
    def research_export(self, request: Request, name: str) -> HttpResponse:
        """The judgments on real pairs as a research file (annotation.interchange): ?kind=preference-pairs,
        hf-dataset (Parquet), potato or label-studio. After close, or with ?peek=1 (logged)."""
        study = self.get_object()
        kind = request.query_params.get("kind", "")
        if kind not in interchange.FORMATS:
            raise ValidationError({"kind": f"One of {', '.join(interchange.FORMATS)}."})
        try:
            blinding.unblind(study=study, user=request.user, peek=request.query_params.get("peek"),
                             channel=f"API research export ({kind})")
        except services.NotAllowed as exc:
            raise PermissionDenied(str(exc)) from None
        body, content_type, suffix = interchange.export_file(kind, selectors.pair_judgments(study))
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{study.name}-{kind}{suffix}"'
        return response

    @extend_schema(parameters=[OpenApiParameter("peek", bool, description="Before close: look anyway (logged).")],
                   request=s.AdjudicationImportSerializer, responses={200: dict})
    @action(detail=True, methods=["get", "post"])
    def adjudications(self, request: Request, name: str) -> Response:
        """GET: one unblinded row per queued or adjudicated item (raters' votes, majority, final label); after
        close, or with ?peek=1 (logged). POST {"rows": [{item, final_label | final_system, note}]}: import final
        labels, all or nothing (a manager of the study)."""
        study = self.get_object()
        if request.method == "POST":
            data = s.AdjudicationImportSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            try:
                out = services.adjudications_import(study=study, rows=data.validated_data["rows"],
                                                    user=request.user, reviewer=request.user)
            except services.AnnotationError as exc:
                return _refuse(exc)
            return Response(out)
        try:
            blinding.unblind(study=study, user=request.user, peek=request.query_params.get("peek"),
                             channel="API adjudications")
        except services.NotAllowed as exc:
            raise PermissionDenied(str(exc)) from None
        return Response({"summary": review_queue.queue_summary(study),
                         "results": review_queue.adjudication_records(study)})

    @extend_schema(request=s.ReviewerChangeSerializer, responses={200: dict})
    @action(detail=True, methods=["post"])
    def reviewers(self, request: Request, name: str) -> Response:
        """Assign ({"username": ..., "remove": false}) or unassign a reviewer (a manager of the study)."""
        study = self.get_object()
        data = s.ReviewerChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = selectors.user_named(data.validated_data["username"])
        if user is None:
            raise ValidationError({"username": "No such user."})
        change = services.reviewer_remove if data.validated_data["remove"] else services.reviewer_add
        try:
            change(study=study, user=user, by=request.user)
        except services.AnnotationError as exc:
            return _refuse(exc)
        return Response({"reviewers": [u.username for u in selectors.study_reviewers(study)]})

    @extend_schema(methods=["GET"], responses=s.JudgeRunSerializer(many=True))
    @extend_schema(methods=["POST"], request=s.JudgeRunCreateSerializer, responses={202: s.JudgeRunSerializer})
    @action(detail=True, methods=["get", "post"])
    def judges(self, request: Request, name: str) -> Response:
        """The study's automatic judges (GET), or start one (POST: a background job on the long queue, or the
        gpu queue with "gpu": true). How they agree with the raters is in the report, once it may be read."""
        study = self.get_object()
        if request.method == "POST":
            data = s.JudgeRunCreateSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            v = data.validated_data
            try:
                services.judge_run_submit(study=study, spec=v["spec"], name=v["name"], user=request.user,
                                          truth=dict(v["truth"]) if "truth" in v else None, gpu=v["gpu"])
            except services.AnnotationError as exc:
                return _refuse(exc)
            run = selectors.judge_run_named(study, v["name"] or v["spec"].label())
            return Response(s.JudgeRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)
        return Response(s.JudgeRunSerializer(selectors.judge_runs(study), many=True).data)

    @extend_schema(responses={200: dict})
    @action(detail=True, methods=["get"])
    def progress(self, request: Request, name: str) -> Response:
        return Response(selectors.study_progress(self.get_object()))


def _member_study(request: Request, token: str) -> Study:
    """As on the pages: a draft, or a study the user may not rate, does not exist for them (404, nobody joins).
    A member's study and membership come in one query; everyone else goes through rater_join."""
    member = selectors.rater_membership_by_token(token, request.user)
    if member is not None:
        return member.study
    study = selectors.non_draft_study_or_404(token)
    try:
        services.rater_join(study=study, user=request.user)
    except services.NotAllowed:
        raise Http404 from None
    return study


def _own_slot(request: Request, token: str, with_example: bool = True) -> Slot:
    """Only the rater's own slot exists for them: everyone else gets 404."""
    return selectors.own_slot_or_404(token, request.user, with_example=with_example)


def _reason(request: Request) -> str:
    """A skip's or flag's reason from an object body ({"reason": "..."}; none at all is fine): any other shape
    is a 400, never a 500 (tests/test_bad_input.py sends every API route bodies of every JSON type)."""
    data = s.ReasonSerializer(data=request.data if request.data is not None else {})
    if not data.is_valid():
        raise ValidationError(data.errors)
    return data.validated_data["reason"]


class WorkListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.WorkStudySerializer(many=True))
    def get(self, request: Request) -> Response:
        """The studies this user may rate, with their own progress."""
        return Response(selectors.rater_studies(request.user))


class WorkNextView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=s.WorkNextSerializer)
    def post(self, request: Request, token: str) -> Response:
        """Reserve (or return the current) pair for this rater."""
        study = _member_study(request, token)
        try:
            return Response(_next_pair(study, request.user))
        except services.AnnotationError as exc:
            return _refuse(exc)


class WorkPreviousView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.WorkSlotSerializer)
    def get(self, request: Request, token: str) -> Response:
        """The rater's last answered pair, with their answer, to change it."""
        study = _member_study(request, token)
        slot = selectors.rater_last_judged(study, request.user)
        if slot is None:
            raise Http404("Nothing answered yet.")
        return Response(selectors.slot_payload(slot))


class WorkFinishView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=s.CompletionSerializer)
    def post(self, request: Request, token: str) -> Response:
        """The completion code once nothing is left (valid for payment only if quality checks passed); 409 while
        work is left, and after close unless the code was issued before."""
        study = _member_study(request, token)
        try:
            member = services.rater_finish(study=study, user=request.user)
        except services.AnnotationError as exc:
            return _refuse(exc)
        return Response({"completion_code": member.completion_code, "finished": True})


class WorkPracticeDoneView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, token: str) -> Response:
        study = _member_study(request, token)
        try:
            services.rater_practice_done(study=study, user=request.user)
        except services.AnnotationError as exc:
            return _refuse(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SlotView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.WorkSlotSerializer)
    def get(self, request: Request, slot: str) -> Response:
        return Response(selectors.slot_payload(_own_slot(request, slot)))


class SlotJudgmentView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.AnswerSerializer, responses=s.StoredSerializer, parameters=[OpenApiParameter(
        "next", bool, description="Also reserve the next pair and return it under \"next\" (as POST "
        "/api/work/<study>/next/ would; null when that is refused): one round trip per judgment.")])
    def post(self, request: Request, slot: str) -> Response:
        """Store an answer. Acknowledged only once stored; the same idempotency_key again stores nothing new."""
        own = _own_slot(request, slot, with_example=False)  # an answer shows no text of its own pair
        data = s.AnswerSerializer(data=request.data)
        if not data.is_valid():
            raise ValidationError(data.errors)
        answer = dict(data.validated_data)
        key = answer.pop("idempotency_key")
        try:
            _, created = services.judgment_submit(slot=own, user=request.user, answer=answer, idempotency_key=key)
        except services.AnnotationError as exc:
            return _refuse(exc)
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        study = own.item.study
        if request.query_params.get("next") not in ("1", "true"):
            return Response({"stored": True, "created": created,
                             "progress": selectors.rater_progress(study, request.user)}, status=code)
        # ?next=1: the rating page's one round trip per judgment. The answer is committed first (its own
        # transaction), so "stored" holds whatever becomes of the next pair; that pair is exactly what
        # POST /api/work/<study>/next/ would hand out now, and the progress is counted once, after it.
        nxt = _next_after_answer(study, request.user)
        return Response({"stored": True, "created": created, "progress": nxt["progress"] if nxt else
                         selectors.rater_progress(study, request.user), "next": nxt}, status=code)


def _next_pair(study: Study, user: Any) -> dict:
    """WorkNextView's answer for a member: the pair reserved (or current), the progress counted once, and whether
    nothing is left. Raises the service's AnnotationError when no pair may be handed out."""
    slot, counts = services.slot_next_counted(study=study, user=user, joined=True)
    return {"slot": selectors.slot_payload(slot) if slot else None,
            "progress": selectors.rater_progress(study, user, counts), "finished": slot is None}


def _next_after_answer(study: Study, user: Any) -> dict | None:
    """The next pair as WorkNextView answers it, or None when it is refused (a paused study, say): the page then
    asks /next/ itself and shows that refusal. The rater owns a slot of the study, so they are a member."""
    try:
        return _next_pair(study, user)
    except services.AnnotationError:
        return None


def _with_reason(request: Request, slot: str, service: Callable[..., Any]) -> Response:
    """Skip or flag the caller's own slot with the reason given: 204, or the service's refusal."""
    own = _own_slot(request, slot, with_example=False)
    try:
        service(slot=own, user=request.user, reason=_reason(request))
    except services.AnnotationError as exc:
        return _refuse(exc)
    return Response(status=status.HTTP_204_NO_CONTENT)


class SlotSkipView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.ReasonSerializer, responses={204: None})
    def post(self, request: Request, slot: str) -> Response:
        return _with_reason(request, slot, services.slot_skip)


class SlotFlagView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.ReasonSerializer, responses={204: None})
    def post(self, request: Request, slot: str) -> Response:
        return _with_reason(request, slot, services.slot_flag)


# ---------------------------------------------------------------- reviewers (adjudication), blinded like raters


def _review_study(request: Request, token: str) -> Study:
    """The study, if the user may review it (annotation.blinding.may_review); 404 for anyone else."""
    return blinding.reviewable_study(request.user, token)


class ReviewListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: dict})
    def get(self, request: Request) -> Response:
        """The studies this user may review, with their own progress (no system information)."""
        return Response(review_queue.reviewer_studies(blinding.reviewable_studies(request.user), request.user))


class ReviewNextView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=s.ReviewNextSerializer)
    def post(self, request: Request, token: str) -> Response:
        """Reserve (or return the current) item to adjudicate, blinded, with the raters' answers in the
        reviewer's sides."""
        study = _review_study(request, token)
        try:
            adj = services.adjudication_next(study=study, user=request.user)
        except services.AnnotationError as exc:
            return _refuse(exc)
        return Response({"item": review_queue.adjudication_payload(adj) if adj else None,
                         "progress": review_queue.reviewer_progress(study, request.user), "finished": adj is None})


class ReviewItemView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.ReviewItemSerializer)
    def get(self, request: Request, item: str) -> Response:
        return Response(review_queue.adjudication_payload(review_queue.own_adjudication_or_404(item, request.user)))


class ReviewLabelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.FinalLabelSerializer, responses=s.FinalStoredSerializer)
    def post(self, request: Request, item: str) -> Response:
        """Store the final label (left, right, tie, both_bad in the reviewer's sides); the same idempotency_key
        again stores nothing new."""
        own = review_queue.own_adjudication_or_404(item, request.user)
        data = s.FinalLabelSerializer(data=request.data)
        if not data.is_valid():
            raise ValidationError(data.errors)
        d = data.validated_data
        try:
            _, created = services.adjudication_submit(adjudication=own, user=request.user, answer=d["label"],
                                                      note=d["note"], idempotency_key=d["idempotency_key"])
        except services.AnnotationError as exc:
            return _refuse(exc)
        return Response({"stored": True, "created": created,
                         "progress": review_queue.reviewer_progress(own.study, request.user)},
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
