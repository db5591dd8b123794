"""Blinded human evaluation: studies, their items, one slot per (item, rater), judgments and their history.

Blinding lives in the data: annotators only ever see `Study.public_token`, `Slot.token` and texts; which
system wrote a text is known only through `Item.system_a/system_b` and `Slot.left_is_a`, never serialised
to an annotator. See annotation/blinding.md for the design.
"""
from __future__ import annotations

import copy
import secrets

from django.conf import settings
from django.db import models

from selection.models import Dataset, Example, Split, System


def new_token() -> str:
    """An opaque, unguessable id (no order, no count, no system information)."""
    return secrets.token_urlsafe(12)


# What a study asks when its design says nothing: the one copy (services.studies fills designs from it).
QUESTION_DEFAULTS: dict = {"pairwise": True, "accuracy": True, "likert": [], "error_flags": [], "comment": True,
                           "graded": False, "criteria": []}


def default_questions() -> dict:
    return copy.deepcopy(QUESTION_DEFAULTS)


# Today's behaviour: the code checks the controls; "exclude flagged raters" drops RaterQuality's flags.
GATE_CHECKS_DEFAULT: tuple[str, ...] = ("controls",)
EXCLUDE_CHECKS_DEFAULT: tuple[str, ...] = ("rater_flags",)


def default_gate_checks() -> list[str]:
    return list(GATE_CHECKS_DEFAULT)


def default_exclude_checks() -> list[str]:
    return list(EXCLUDE_CHECKS_DEFAULT)


class Preference(models.TextChoices):
    """A pairwise answer, in the sides the rater saw (a judgment stores it so; blank when not asked)."""

    LEFT = "left", "left is better"
    RIGHT = "right", "right is better"
    TIE = "tie", "about the same"
    BOTH_BAD = "both_bad", "both bad"


class Strength(models.TextChoices):
    """How much better the preferred output is, in a graded preference (left/right answers only)."""

    MUCH = "much", "much better"
    SLIGHTLY = "slightly", "slightly better"


# The two sides a rater sees, in screen order (a preference names one of them, or neither).
SIDES = (Preference.LEFT, Preference.RIGHT)


def _in(field: str, choices: type[models.TextChoices], *, blank: bool = False) -> models.Q:
    """The check that a column holds one of the vocabulary's values (or is blank, when allowed)."""
    return models.Q(**{f"{field}__in": ([""] if blank else []) + list(choices.values)})


class StudyStatus(models.TextChoices):
    DRAFT = "draft", "draft"
    LIVE = "live", "live"
    PAUSED = "paused", "paused"
    CLOSED = "closed", "closed"


class StudyIdentical(models.TextChoices):
    SHOW = "show", "show to raters like any pair"
    TIE = "tie", "count as a tie without asking raters"
    EXCLUDE = "exclude", "leave out of the study"


class StudyDisplay(models.TextChoices):
    AUTO = "auto", "automatic: diff for small edits, plain for rewrites"
    DIFF = "diff", "word diff against the input"
    PLAIN = "plain", "plain texts side by side"


class StudyAllocation(models.TextChoices):
    FIXED = "fixed", "fixed: k raters on every item"
    ADAPTIVE = "adaptive", "adaptive: ratings go where the question is still open, with a stopping rule"


class StudyAdjudication(models.TextChoices):
    """Which rated items a reviewer decides (annotation/review.py: needs_review)."""

    OFF = "off", "off: no adjudication"
    DISAGREEMENTS = "disagreements", "disagreements: items whose raters did not agree"
    SAMPLE = "sample", "a sample: a seeded random share of the rated items"


class Study(models.Model):
    Status = StudyStatus
    Identical = StudyIdentical
    Display = StudyDisplay

    Allocation = StudyAllocation
    Adjudication = StudyAdjudication

    name = models.SlugField(max_length=100, unique=True)
    public_title = models.CharField(
        max_length=200, default="Text editing evaluation",
        help_text="What annotators see: must not name a system.",
    )
    public_token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="studies")
    split = models.CharField(max_length=16, choices=Split.choices, default=Split.TEST)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    n_examples = models.PositiveIntegerField(help_text="Examples sampled, stratified by task.")
    raters_per_item = models.PositiveSmallIntegerField(default=3)
    seed = models.IntegerField(default=0)
    control_rate = models.FloatField(default=0.1, help_text="Share of each rater's slots that are controls.")
    control_kinds = models.JSONField(default=list, blank=True, help_text="Subset of Control.Kind's values.")
    qc_min_pass = models.FloatField(default=0.75, help_text="Share of controls a rater must pass.")
    questions = models.JSONField(default=default_questions)
    guidelines = models.TextField(blank=True, help_text="Markdown; raw HTML is escaped.")
    practice_count = models.PositiveSmallIntegerField(default=0)
    identical_outputs = models.CharField(max_length=8, choices=Identical.choices, default=Identical.TIE)
    display_mode = models.CharField(max_length=8, choices=Display.choices, default=Display.AUTO,
                                    help_text="How raters first see each output: a word diff or the plain text.")
    # Adaptive allocation (annotation/stats/allocation.py): raters_per_item is then each item's ceiling k,
    # min_raters_per_item its floor, stop_alpha the stopping rule's error level.
    allocation = models.CharField(max_length=8, choices=Allocation.choices, default=Allocation.FIXED)
    min_raters_per_item = models.PositiveSmallIntegerField(default=1, help_text="Adaptive: ratings every item gets.")
    stop_alpha = models.FloatField(default=0.05, help_text="Adaptive: error level of the stopping rule.")
    # Adjudication (annotation/review.py): which rated items queue for a reviewer, and who may review.
    adjudication = models.CharField(max_length=16, choices=StudyAdjudication.choices, default=StudyAdjudication.OFF)
    adjudication_agreement = models.FloatField(
        default=1.0, help_text="Disagreements: an item queues when its most common answer has less than this share "
                               "of the votes (1.0: any disagreement).")
    adjudication_share = models.FloatField(default=0.1, help_text="Sample: the share of rated items that queue.")
    reviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="reviewed_studies",
                                       help_text="Users with the reviewer role who adjudicate this study.")
    # Rater reliability (annotation/reports/checks.py): repeated pairs for self-consistency, the checks that gate
    # completion codes and those that decide who "exclude flagged raters" leaves out, and their error level.
    repeat_rate = models.FloatField(default=0.0, help_text="Share of each rater's real pairs shown to them again.")
    repeat_gap = models.PositiveSmallIntegerField(default=5, help_text="A repeat comes at least this many slots later.")
    reliability_alpha = models.FloatField(default=0.05, help_text="Error level of the per-rater tests.")
    gate_checks = models.JSONField(default=default_gate_checks, blank=True,
                                   help_text="Reliability checks a rater must pass for a valid completion code.")
    exclude_checks = models.JSONField(default=default_exclude_checks, blank=True,
                                      help_text="Reliability checks whose failures 'exclude flagged raters' drops.")
    quota_per_rater = models.PositiveIntegerField(null=True, blank=True)
    reservation_minutes = models.PositiveIntegerField(default=30)
    open_to_annotators = models.BooleanField(default=True, help_text="Every annotator may join, not only invitees.")
    secret = models.CharField(max_length=64, default=new_token, editable=False)
    summary = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # Who may manage, peek at and export the study (besides admins): see annotation.blinding.
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="owned_studies", help_text="Empty: only admins may manage it.")
    collaborators = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="shared_studies",
                                           help_text="Researchers who share the owner's rights on this study.")
    created_at = models.DateTimeField(auto_now_add=True)
    launched_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "studies"
        constraints = [
            models.CheckConstraint(condition=models.Q(raters_per_item__gte=1), name="study_k_positive"),
            models.CheckConstraint(condition=models.Q(control_rate__gte=0) & models.Q(control_rate__lt=1),
                                   name="study_control_rate_range"),
            models.CheckConstraint(condition=_in("status", StudyStatus), name="study_status_valid"),
            models.CheckConstraint(condition=_in("split", Split), name="study_split_valid"),
            models.CheckConstraint(condition=_in("identical_outputs", StudyIdentical), name="study_identical_valid"),
            models.CheckConstraint(condition=_in("display_mode", StudyDisplay), name="study_display_valid"),
            models.CheckConstraint(condition=_in("allocation", StudyAllocation), name="study_allocation_valid"),
            models.CheckConstraint(condition=_in("adjudication", StudyAdjudication), name="study_adjudication_valid"),
            models.CheckConstraint(condition=models.Q(adjudication_agreement__gt=0)
                                   & models.Q(adjudication_agreement__lte=1), name="study_adjudication_agreement_range"),
            models.CheckConstraint(condition=models.Q(adjudication_share__gt=0) & models.Q(adjudication_share__lte=1),
                                   name="study_adjudication_share_range"),
            models.CheckConstraint(condition=models.Q(repeat_rate__gte=0) & models.Q(repeat_rate__lte=0.5),
                                   name="study_repeat_rate_range"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_frozen(self) -> bool:
        return self.status != self.Status.DRAFT


class StudySystem(models.Model):
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="study_systems")
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["study", "position"]
        constraints = [
            models.UniqueConstraint(fields=["study", "system"], name="studysystem_unique"),
            models.UniqueConstraint(fields=["study", "position"], name="studysystem_unique_position"),
        ]

    def __str__(self) -> str:
        return f"{self.study_id}:{self.system_id}"


class ItemKind(models.TextChoices):
    REAL = "real", "real pair"
    CONTROL = "control", "control"
    PRACTICE = "practice", "practice"
    REPEAT = "repeat", "a real pair shown again to a rater who judged it"


class Item(models.Model):
    """One example with two texts to compare (a pair of systems, or a control pair)."""

    Kind = ItemKind

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="items")
    example = models.ForeignKey(Example, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.REAL)
    # Canonical sides: system_a has the lower position. Null for a text no system wrote (controls).
    system_a = models.ForeignKey(StudySystem, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    system_b = models.ForeignKey(StudySystem, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    text_a = models.TextField()
    text_b = models.TextField()
    identical = models.BooleanField(default=False)
    # A repeat item (kind "repeat") is a copy of this real item, given only to raters who judged the original.
    repeat_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="repeats")
    order_key = models.BigIntegerField(default=0, help_text="Seeded random key: a rater-independent tiebreak.")
    # How many of its slots hold a seat (0..k): kept in the same transaction as every seat change
    # (annotation/services/tallies.py), so "items with a free seat" is an index range, not a count over all slots.
    # The unique (item, seat) on Slot remains what makes over-assignment impossible; this only finds candidates.
    seats_taken = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["study", "kind"]),
                   models.Index(fields=["study", "kind", "seats_taken"], name="item_open_seats")]
        constraints = [models.CheckConstraint(condition=_in("kind", ItemKind), name="item_kind_valid")]

    def __str__(self) -> str:
        return f"item {self.pk} of {self.study_id}"


class ControlKind(models.TextChoices):
    GOLD = "gold", "gold item with a known answer"
    DEGRADED = "degraded", "a real output made worse"


class ControlDegradation(models.TextChoices):
    """How a degraded control's worse side was made (annotation.controls.DEGRADATIONS); blank for gold."""

    DROP = "drop", "a word dropped"
    SWAP = "swap", "two words swapped"
    REPEAT = "repeat", "a word repeated"
    CUT = "cut", "a span of words dropped"
    SHUFFLE = "shuffle", "the words shuffled"
    REVERSE = "reverse", "the edit undone"


class ControlExpected(models.TextChoices):
    """The answer a careful rater gives, in canonical terms: system a's side, b's, or a tie / both bad."""

    A = "a", "side a"
    B = "b", "side b"
    TIE = "tie", "a tie"
    BOTH_BAD = "both_bad", "both bad"


class Control(models.Model):
    Kind = ControlKind
    Degradation = ControlDegradation
    Expected = ControlExpected

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="control")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    degradation = models.CharField(max_length=16, blank=True, choices=Degradation.choices)
    expected = models.CharField(max_length=8, choices=Expected.choices, default=Expected.A,
                                help_text="Canonical side expected to win.")
    source_system = models.ForeignKey(StudySystem, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(condition=_in("expected", ControlExpected), name="control_expected_valid"),
            models.CheckConstraint(condition=_in("kind", ControlKind), name="control_kind_valid"),
            models.CheckConstraint(condition=_in("degradation", ControlDegradation, blank=True),
                                   name="control_degradation_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} control for item {self.item_id}"


class Invite(models.Model):
    """A link for external raters (crowd platforms): /join/<token>/?pid=PARTICIPANT."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="invites")
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    label = models.CharField(max_length=100, blank=True)
    max_participants = models.PositiveIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"invite {self.label or self.pk} to {self.study_id}"


class StudyRater(models.Model):
    """A rater's membership of a study: where invitees' accounts, practice and completion codes live."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="raters")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="study_memberships")
    invite = models.ForeignKey(Invite, null=True, blank=True, on_delete=models.SET_NULL, related_name="raters")
    participant_id = models.CharField(max_length=100, blank=True)
    practice_done = models.BooleanField(default=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    qc_passed = models.BooleanField(null=True)
    completion_code = models.CharField(max_length=32, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "user"], name="studyrater_unique"),
            models.UniqueConstraint(fields=["invite", "participant_id"], condition=~models.Q(participant_id=""),
                                    name="studyrater_unique_participant"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.study_id}"


class SlotStatus(models.TextChoices):
    RESERVED = "reserved", "reserved"
    DONE = "done", "done"
    SKIPPED = "skipped", "skipped"
    EXPIRED = "expired", "expired"


class Slot(models.Model):
    """One item for one rater, with its own left/right order and its place in the rater's queue."""

    Status = SlotStatus

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="slots")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="slots")
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    # Seat in 0..k-1 for real items; the unique (item, seat) makes over-assignment impossible in the DB.
    # Released (NULL) when a reservation expires or the rater skips.
    seat = models.PositiveSmallIntegerField(null=True, blank=True)
    left_is_a = models.BooleanField()
    seed = models.BigIntegerField(help_text="The stored seed the left/right tiebreak came from.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RESERVED)
    reserved_at = models.DateTimeField(auto_now_add=True)
    reserved_until = models.DateTimeField()
    skip_reason = models.CharField(max_length=200, blank=True)
    flag_reason = models.CharField(max_length=200, blank=True)
    # On a real slot that will be shown again: the rater's slot count from which its repeat is due (queue.py).
    repeat_due = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["reserved_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "rater"], name="slot_one_per_item_rater"),
            models.UniqueConstraint(fields=["item", "seat"], name="slot_unique_seat"),
            models.CheckConstraint(condition=_in("status", SlotStatus), name="slot_status_valid"),
        ]
        indexes = [models.Index(fields=["rater", "status"]), models.Index(fields=["item", "status"]),
                   # Expired reservations are looked for on every "next pair": only reserved slots are indexed.
                   models.Index(fields=["reserved_until"], condition=models.Q(status="reserved"),
                                name="slot_reserved_until")]

    def __str__(self) -> str:
        return f"slot {self.token}"


class SideTally(models.Model):
    """How often system a of a pair was on the left for one rater, over slots that are or will be judged
    (reserved or done): the counts side_choice balances (annotation/sides.py). Kept in the same transaction as
    every slot that enters or leaves those states (annotation/services/tallies.py); the study-wide imbalance is
    the sum over raters, so neither needs a pass over every slot of the study. `pair` is "real:<a>:<b>" (the
    two StudySystem ids) or an item kind for controls, which count as one pair of their own."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="+")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    pair = models.CharField(max_length=40)
    a_left = models.PositiveIntegerField(default=0)
    n = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["study", "rater", "pair"], name="sidetally_unique"),
            models.CheckConstraint(condition=models.Q(a_left__lte=models.F("n")), name="sidetally_a_left_le_n"),
        ]
        indexes = [models.Index(fields=["study", "pair"])]

    def __str__(self) -> str:
        return f"{self.pair} for {self.rater_id} in {self.study_id}: {self.a_left}/{self.n}"


class Judgment(models.Model):
    """What a rater answered for a slot; stored in canonical a/b terms plus what was on the left."""

    slot = models.OneToOneField(Slot, on_delete=models.CASCADE, related_name="judgment")
    preference = models.CharField(max_length=8, blank=True, choices=Preference.choices,
                                  help_text="Blank when the study asks no pairwise question.")
    # Graded preference (questions["graded"]): how much better the preferred output is; criteria
    # (questions["criteria"]): one preference per criterion, {criterion key: left|right|tie}.
    strength = models.CharField(max_length=8, blank=True, choices=Strength.choices,
                                help_text="Blank unless the study grades a left/right preference.")
    criteria = models.JSONField(default=dict, blank=True, help_text="{criterion: left|right|tie}")
    accurate_left = models.BooleanField(null=True)
    accurate_right = models.BooleanField(null=True)
    likert = models.JSONField(default=dict, blank=True, help_text="{scale: {left: n, right: n}}")
    error_flags = models.JSONField(default=dict, blank=True, help_text="{left: [...], right: [...]}")
    comment = models.TextField(blank=True)
    seconds = models.FloatField(default=0)
    idempotency_key = models.CharField(max_length=64)
    submitted_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    revision_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.CheckConstraint(condition=_in("preference", Preference, blank=True),
                                   name="judgment_preference_valid"),
            models.CheckConstraint(condition=_in("strength", Strength, blank=True), name="judgment_strength_valid"),
            models.CheckConstraint(condition=models.Q(seconds__gte=0), name="judgment_seconds_nonneg"),
        ]

    def __str__(self) -> str:
        return f"judgment on {self.slot_id}"


class JudgmentRevision(models.Model):
    """The previous answer each time a rater changes one."""

    judgment = models.ForeignKey(Judgment, on_delete=models.CASCADE, related_name="revisions")
    previous = models.JSONField()
    idempotency_key = models.CharField(max_length=64)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "id"]


class StudyEventAction(models.TextChoices):
    CREATE = "create", "created"
    UPDATE = "update", "design changed"
    LIVE = "live", "launched or resumed"
    PAUSED = "paused", "paused"
    CLOSED = "closed", "closed"
    PEEK = "peek", "results viewed before close"
    SHARE = "share", "collaborator added"
    UNSHARE = "unshare", "collaborator removed"
    REVIEWERS = "reviewers", "reviewer added or removed"
    ADJUDICATED = "adjudicated", "final labels imported"


class StudyEvent(models.Model):
    """Audit log: launch, pause, close, and every unblinded peek before close."""

    Action = StudyEventAction

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    action = models.CharField(max_length=16, choices=Action.choices)
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.CheckConstraint(condition=_in("action", StudyEventAction), name="studyevent_action_valid")]



class FinalLabel(models.TextChoices):
    """An adjudicated item's final label, in canonical terms: system a's output, b's, a tie, or both bad."""

    A = "a", "system a's output is better"
    B = "b", "system b's output is better"
    TIE = "tie", "about the same"
    BOTH_BAD = "both_bad", "both bad"


class AdjudicationStatus(models.TextChoices):
    RESERVED = "reserved", "reserved by a reviewer"
    DONE = "done", "decided"


class AdjudicationSource(models.TextChoices):
    REVIEW = "review", "a reviewer's decision (page or API)"
    IMPORT = "import", "imported from a file"


class Adjudication(models.Model):
    """A reviewer's final label for one real item, beside the raters' raw judgments (one per item).

    While reserved it holds the reviewer's own random side order (`left_is_a`) and an opaque `token`, the only
    handle the reviewer's page and API know the item by; the label is stored in canonical a/b terms. See
    annotation/review.py for which items queue and annotation/services/adjudication.py for the writes."""

    Status = AdjudicationStatus
    Source = AdjudicationSource

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="adjudication")
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="adjudications")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="adjudications")
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    left_is_a = models.BooleanField(default=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.RESERVED)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.REVIEW)
    label = models.CharField(max_length=8, blank=True, choices=FinalLabel.choices)
    note = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True)
    history = models.JSONField(default=list, blank=True, help_text="Earlier labels: [{label, note, at}].")
    reserved_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=_in("label", FinalLabel, blank=True), name="adjudication_label_valid"),
            models.CheckConstraint(condition=_in("status", AdjudicationStatus), name="adjudication_status_valid"),
            models.CheckConstraint(condition=_in("source", AdjudicationSource), name="adjudication_source_valid"),
            models.CheckConstraint(condition=~models.Q(status="done") | ~models.Q(label=""),
                                   name="adjudication_done_has_label"),
        ]
        indexes = [models.Index(fields=["study", "status"])]

    def __str__(self) -> str:
        return f"adjudication of item {self.item_id}"


# ------------------------------------------------------------------------ automatic judges (annotation/judges/)


class JudgeKind(models.TextChoices):
    """Which implementation a judge is (annotation.judges.base.KINDS)."""

    HF = "hf", "local Hugging Face model"
    OPENAI = "openai", "OpenAI-compatible endpoint"
    SIM = "sim", "simulated judge of known quality"


class JudgeVerdict(models.TextChoices):
    """A judge's answer, in the sides it was shown (annotation.judges.base.ANSWERS; blank: its reply named none)."""

    LEFT = "left", "left is better"
    RIGHT = "right", "right is better"
    TIE = "tie", "about the same"


class JudgeRun(models.Model):
    """One automatic judge rating a study's real pairs, each in both orders (annotation/services/judges.py).

    Kept apart from the human raters on purpose: a judge holds no account, slot, seat or side tally, so no human
    statistic, completion code, quota or adaptive allocation can count it; the report compares it with them."""

    Kind = JudgeKind

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="judge_runs")
    name = models.CharField(max_length=100, help_text="e.g. hf:flan-t5-large, openai:llama-3@host:8000")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    spec = models.JSONField(default=dict, help_text="annotation.judges.JudgeSpec.as_params(); never an API key.")
    description = models.CharField(max_length=200, blank=True, help_text="How the methods paragraph names it.")
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["study", "name"], name="judgerun_unique_name"),
            models.CheckConstraint(condition=_in("kind", JudgeKind), name="judgerun_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"judge {self.name} on {self.study_id}"


class JudgeAnswer(models.Model):
    """A judge's answer on one order of one real item: stored by annotation.services.judges only."""

    run = models.ForeignKey(JudgeRun, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="+")
    left_is_a = models.BooleanField()
    preference = models.CharField(max_length=8, blank=True, choices=JudgeVerdict.choices)
    p_left = models.FloatField(null=True, blank=True, help_text="The judge's probability that left is better.")
    raw = models.CharField(max_length=200, blank=True, help_text="What the judge said (reply or scores).")
    seconds = models.FloatField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "item", "left_is_a"], name="judgeanswer_one_per_order"),
            models.CheckConstraint(condition=_in("preference", JudgeVerdict, blank=True),
                                   name="judgeanswer_preference_valid"),
            models.CheckConstraint(condition=models.Q(p_left__isnull=True)
                                   | (models.Q(p_left__gte=0) & models.Q(p_left__lte=1)),
                                   name="judgeanswer_p_left_probability"),
            models.CheckConstraint(condition=models.Q(seconds__gte=0), name="judgeanswer_seconds_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: item {self.item_id} ({'a' if self.left_is_a else 'b'} left)"
