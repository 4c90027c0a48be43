"""The duty-fact ledger (履职事实): one row per member per thing that can score,
projected from the records of every app by scoring.facts (the contract is
docs/duty-facts.md). Rulebooks read these rows only, never the source tables."""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class DutyFactQuerySet(models.QuerySet):
    def of_body(self, body_id):
        return self.filter(body_id=body_id)

    def of_kinds(self, *kinds):
        return self.filter(kind__in=kinds)

    def between(self, start, end):
        """Facts that became true from `start` to `end`, both included."""
        return self.filter(on__range=(start, end))

    def with_records(self):
        """The source records too (one query per kind of record): what a
        receipt line opens."""
        return self.prefetch_related("record")


class DutyFact(models.Model):
    """member · on · kind · attributes · source.

    `attrs` holds every attribute of the fact (docs/duty-facts.md). The ones
    rules filter on most are copied into plain columns (activity_kind,
    category, role, level), so the grouped query over a province's year
    (20,000 members, a million attendance rows) compares short text columns
    instead of parsing JSON in every row. "" there means "not applicable": it
    is never a real value of these columns, and, unlike NULL, `level <> 'city'`
    keeps such rows in hand-written SQL. `body` is the member's body, copied so
    the engine's question, "facts of body B, kinds K, from D1 to D2, grouped by
    member", is one range scan of the (body, kind, on) index with no join to
    members and terms. There is no year column: a range on `on` answers years,
    quarters and year-to-date alike from the same index.

    The source is a content type and an id, as duties.Dispute names records:
    an integer pair that groups cheaply for no-stacking ("per record, take the
    highest") and opens with prefetch_related("record") for a receipt line.
    `detail` tells apart several facts of one kind that one record gives one
    member (the level of report.adopted, the instruction of
    report.instructed); "" otherwise."""

    class Kind(models.TextChoices):
        ACTIVITY_ATTENDED = "activity.attended", _("出席活动")
        ACTIVITY_EXCUSED = "activity.excused", _("活动请假")
        ACTIVITY_ABSENT = "activity.absent", _("活动缺席")
        PROPOSAL_SUBMITTED = "proposal.submitted", _("提交提案")
        PROPOSAL_ACCEPTED = "proposal.accepted", _("提案立案")
        PROPOSAL_CONVERTED = "proposal.converted", _("提案转为其他形式")
        REPORT_SUBMITTED = "report.submitted", _("报送社情民意信息")
        REPORT_USED = "report.used", _("信息编报")
        REPORT_ADOPTED = "report.adopted", _("信息获采用")
        REPORT_INSTRUCTED = "report.instructed", _("信息获领导批示")
        DUTY_VERIFIED = "duty.verified", _("自报履职已核实")
        HONOUR_AWARDED = "honour.awarded", _("获得表彰")

    # The attributes that also have a column of their own.
    COLUMNS = ("activity_kind", "category", "role", "level")

    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("委员"),
        on_delete=models.CASCADE,
        related_name="duty_facts",
        db_index=False,  # the unique constraint below leads with member
    )
    body = models.ForeignKey(
        "sectors.Body",
        verbose_name=_("政协"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the (body, kind, on) index leads with body
    )
    on = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices)
    attrs = models.JSONField(_("属性"), default=dict, blank=True)
    source_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    source_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("source_type", "source_id")
    detail = models.CharField(max_length=20, blank=True, default="")
    activity_kind = models.CharField(max_length=50, blank=True, default="")
    category = models.CharField(max_length=20, blank=True, default="")
    role = models.CharField(max_length=12, blank=True, default="")
    level = models.CharField(max_length=10, blank=True, default="")

    objects = DutyFactQuerySet.as_manager()

    class Meta:
        verbose_name = _("履职事实")
        verbose_name_plural = _("履职事实")
        # No default ordering: the engine's grouped queries over a province's
        # year must not sort a million rows they do not need sorted.
        constraints = [
            # A fact is projected once: a refresh that runs twice (a redelivered
            # task) or two refreshes at once cannot double a member's points.
            # Leading with member, it also serves "this member's facts".
            models.UniqueConstraint(
                fields=["member", "kind", "source_type", "source_id", "detail"],
                name="duty_fact_projected_once",
            ),
        ]
        indexes = [
            models.Index(fields=["body", "kind", "on"], name="duty_fact_body_kind_on"),
        ]

    def __str__(self):
        return f"{self.member_id} {self.on} {self.kind}"

    @property
    def source(self) -> tuple[str, str, int]:
        """(app label, model, id) of the source record (content types are cached)."""
        ct = ContentType.objects.get_for_id(self.source_type_id)
        return (ct.app_label, ct.model, self.source_id)

    @property
    def key(self) -> tuple:
        """What makes the fact one fact (the unique constraint)."""
        return (self.member_id, self.kind, self.source_type_id, self.source_id, self.detail)

    @property
    def value(self) -> tuple:
        """What a refresh compares to know whether a stored fact is still right."""
        return (
            self.body_id,
            self.on,
            self.attrs,
            self.activity_kind,
            self.category,
            self.role,
            self.level,
        )
