"""Merges of duplicate customers, the record that makes each one undoable, and "not the same" decisions.

A ``Merge`` keeps what an exact undo needs: the per-field choices with both parties' values before the
merge, every row it re-pointed (``MergeMove``, one narrow row per moved object, written set-wise) and every
row it had to delete or change to respect a unique constraint (``MergeChange``, with the previous state).
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Merge(models.Model):
    """One customer (``merged``) folded into another (``survivor``); undone when ``undone_at`` is set.

    The merged party is soft-deleted; while the merge stands this row is its pointer to the survivor
    (``/customers/<merged id>/`` can redirect). Party links are nullable because a party in the recycle
    bin is eventually purged: the ids stay in ``survivor_pk`` / ``merged_pk`` for the record.
    """

    survivor = models.ForeignKey(
        "parties.Party",
        verbose_name=_("surviving customer"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    merged = models.ForeignKey(
        "parties.Party",
        verbose_name=_("merged customer"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    survivor_pk = models.BigIntegerField(_("surviving customer id"))
    merged_pk = models.BigIntegerField(_("merged customer id"))
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("merged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    merged_at = models.DateTimeField(_("merged"), auto_now_add=True)
    score = models.FloatField(_("match score"), null=True, blank=True)
    explanation = models.JSONField(
        _("match explanation"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    # {field: {"chosen": "survivor"|"merged", "survivor": old, "merged": old, "value": value set}}
    field_choices = models.JSONField(_("field choices"), default=dict, encoder=DjangoJSONEncoder)
    # {"app_label.Model.field": rows re-pointed}; the ids are in MergeMove
    moved_counts = models.JSONField(_("moved records"), default=dict)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("undone by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-merged_at", "-id"]
        indexes = [
            # "is this party merged into someone?" (redirects) and "does a later merge depend on it?"
            models.Index(fields=["merged_pk"], name="identity_merge_merged", condition=Q(undone_at=None)),
            models.Index(fields=["survivor_pk"], name="identity_merge_survivor", condition=Q(undone_at=None)),
        ]

    def __str__(self) -> str:
        return f"{self.merged_pk} → {self.survivor_pk}"

    @property
    def is_undone(self) -> bool:
        return self.undone_at is not None


class MergeMove(models.Model):
    """One row a merge re-pointed: ``model``'s ``field`` of ``object_id`` went from the merged party to the
    survivor. Written with one INSERT ... SELECT per reference, so a customer with 100k interactions costs
    one statement, not 100k saves."""

    merge = models.ForeignKey(Merge, on_delete=models.CASCADE, related_name="moves", db_index=False)
    model = models.CharField(max_length=100)  # app_label.ModelName (model._meta.label)
    field = models.CharField(max_length=64)
    object_id = models.BigIntegerField()

    class Meta:
        verbose_name = _("moved record")
        verbose_name_plural = _("moved records")
        indexes = [models.Index(fields=["merge", "model", "field"], name="identity_mergemove_merge")]

    def __str__(self) -> str:
        return f"{self.model}.{self.field} #{self.object_id}"


class MergeChange(models.Model):
    """A row a merge deleted or changed (instead of re-pointing) to respect a unique constraint.

    ``data`` holds, for a deletion, every column of the row (so undo re-inserts it with its id); for an
    update, ``{"before": {...}, "after": {...}}`` of the columns the merge changed.
    """

    class Action(models.TextChoices):
        DELETE = "delete", _("Deleted")
        UPDATE = "update", _("Updated")

    merge = models.ForeignKey(Merge, on_delete=models.CASCADE, related_name="changes")
    model = models.CharField(max_length=100)
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=8, choices=Action.choices)
    data = models.JSONField(encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("record changed by a merge")
        verbose_name_plural = _("records changed by merges")

    def __str__(self) -> str:
        return f"{self.action} {self.model} #{self.object_id}"


class NotDuplicate(models.Model):
    """Someone decided two customers are not the same person or organisation.

    The pair is stored in id order. ``fingerprint`` digests both parties' data at decision time: the
    matcher proposes the pair again only once either party's data changed.
    """

    party_low = models.ForeignKey("parties.Party", on_delete=models.CASCADE, related_name="+")
    party_high = models.ForeignKey("parties.Party", on_delete=models.CASCADE, related_name="+")
    fingerprint = models.CharField(max_length=64)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), auto_now=True)

    class Meta:
        verbose_name = _("not-a-duplicate decision")
        verbose_name_plural = _("not-a-duplicate decisions")
        constraints = [
            models.UniqueConstraint(fields=["party_low", "party_high"], name="identity_notduplicate_pair"),
            models.CheckConstraint(
                condition=Q(party_low__lt=models.F("party_high")), name="identity_notduplicate_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party_low_id} ≠ {self.party_high_id}"


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


class ResolutionRun(models.Model):
    """One pass of duplicate detection over every live customer: its settings, progress and outcome.

    ``parameters`` keeps the matcher's fitted parameters (``Matcher.to_json``), so a run's scores can be
    explained and reproduced later without refitting on data that has changed since.
    """

    status = models.CharField(
        _("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    auto_merge = models.BooleanField(_("merge automatically"), default=False)
    merge_threshold = models.FloatField(_("merge threshold"))
    review_threshold = models.FloatField(_("review threshold"))
    parties = models.PositiveIntegerField(_("customers read"), default=0)
    candidate_pairs = models.PositiveIntegerField(_("candidate pairs"), default=0)
    clusters = models.PositiveIntegerField(_("groups of duplicates"), default=0)
    review_pairs = models.PositiveIntegerField(_("pairs to review"), default=0)
    merged = models.PositiveIntegerField(_("merged"), default=0)
    failed_merges = models.PositiveIntegerField(_("failed merges"), default=0)
    message = models.TextField(_("message"), blank=True)
    parameters = models.JSONField(_("fitted parameters"), default=dict, blank=True)
    # progress of the current stage, for a progress bar: "read", "fit", "score", "review", "merge"
    stage = models.CharField(_("stage"), max_length=16, blank=True)
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), null=True, blank=True)

    class Meta:
        verbose_name = _("duplicate detection run")
        verbose_name_plural = _("duplicate detection runs")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.status}"


class CandidateStatus(models.TextChoices):
    OPEN = "open", _("To review")
    MERGED = "merged", _("Merged")
    NOT_DUPLICATE = "not_duplicate", _("Not the same")
    SKIPPED = "skipped", _("Skipped")


class MatchCandidate(models.Model):
    """A pair of customers the matcher thinks may be one: queued for review, or merged automatically.

    The pair is stored in id order. At most one *open* candidate exists per pair: a later run updates
    its score and explanation instead of queueing the pair again. Decided candidates stay as history.
    """

    party_a = models.ForeignKey(
        "parties.Party", verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    party_b = models.ForeignKey(
        "parties.Party", verbose_name=_("possible duplicate"), on_delete=models.CASCADE, related_name="+"
    )
    score = models.FloatField(_("match probability"))
    weight = models.FloatField(_("match weight"), default=0.0)  # total log2 Bayes factor, prior included
    explanation = models.JSONField(
        _("match explanation"), default=list, blank=True, encoder=DjangoJSONEncoder
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CandidateStatus.choices, default=CandidateStatus.OPEN
    )
    run = models.ForeignKey(
        ResolutionRun,
        verbose_name=_("run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(
                fields=["party_a", "party_b"], condition=Q(status="open"), name="identity_candidate_open_pair"
            ),
            models.CheckConstraint(
                condition=Q(party_a__lt=models.F("party_b")), name="identity_candidate_order"
            ),
        ]
        indexes = [
            # the review queue: open candidates, best first
            models.Index(
                fields=["-score", "id"], name="identity_candidate_queue", condition=Q(status="open")
            ),
            # "is this party in the queue?" on a customer page; party_a is led by the unique constraint
            models.Index(fields=["party_b"], name="identity_candidate_party_b"),
        ]

    def __str__(self) -> str:
        return f"{self.party_a_id} ~ {self.party_b_id} ({self.score:.3f})"


class MatchKey(models.Model):
    """One blocking key of a live customer, hashed to 64 bits: what the real-time duplicate check looks up.

    The same rules as batch resolution (``matching.blocking.DEFAULT_RULES``), so a record typed in a form
    meets the customers a batch run would have compared it with. Derived data: rebuilt by every
    resolution run and kept current by the parties' change listener (``identity.keys``).
    """

    key = models.BigIntegerField()
    party = models.ForeignKey("parties.Party", on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        verbose_name = _("blocking key")
        verbose_name_plural = _("blocking keys")
        indexes = [
            models.Index(fields=["key", "party"], name="identity_matchkey_key"),
            models.Index(fields=["party"], name="identity_matchkey_party"),
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.party_id}"
