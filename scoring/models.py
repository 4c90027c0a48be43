"""The duty-fact ledger (履职事实): one row per member per thing that can score,
projected from the records of every app by scoring.facts (the contract is
docs/duty-facts.md). Rulebooks read these rows only, never the source tables."""

import datetime
import functools
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


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


# Rulebooks, periods and scores --------------------------------------------------


class RulebookQuerySet(models.QuerySet):
    def of(self, body_id, year: int):
        return self.filter(body_id=body_id, year=year)

    def published(self):
        return self.filter(status=Rulebook.Status.PUBLISHED)


class Rulebook(models.Model):
    """One version of a body's rulebook for a year (计分规则), stored as the text
    it was loaded from (docs/rulebook-format.md). A version is never edited once
    published: an edit makes the next version, so a score's `rulebook` always
    names the rules that made it. At most one version of a year is published;
    publishing another retires it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        RETIRED = "retired", _("已停用")

    body = models.ForeignKey(
        "sectors.Body",
        verbose_name=_("政协"),
        on_delete=models.PROTECT,
        related_name="rulebooks",
        db_index=False,  # the unique constraint below leads with body
    )
    term = models.ForeignKey(
        "sectors.Term", verbose_name=_("届"), on_delete=models.PROTECT, related_name="rulebooks"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    version = models.PositiveSmallIntegerField(_("版本"))
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    name = models.CharField(_("名称"), max_length=200)
    source = models.TextField(_("规则文件"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        null=True,  # null: loaded with manage.py by no named user
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("导入时间"), default=timezone.now)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    objects = RulebookQuerySet.as_manager()

    class Meta:
        verbose_name = _("计分规则")
        verbose_name_plural = _("计分规则")
        ordering = ["body", "-year", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["body", "year", "version"], name="rulebook_version_unique"
            ),
            models.UniqueConstraint(
                fields=["body", "year"],
                condition=Q(status="published"),
                name="one_published_rulebook_per_year",
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="rulebook_version_positive"),
        ]

    def __str__(self):
        return f"{self.name}(第 {self.version} 版)"

    def parsed(self):
        """The rulebook as scoring.rulebook types (parsed once per text and process)."""
        return _parsed(self.source)


@functools.lru_cache(maxsize=32)
def _parsed(source: str):
    from scoring.rulebook import rulebook_parse

    return rulebook_parse(source)


class ScorePeriod(models.Model):
    """A quarterly bulletin (季度通报: quarter 1–4, the year to date) or the
    annual assessment (年度考核: quarter 0) of one body. Computed as a draft,
    published to members (a dispute window opens), then final and locked.
    Reopening a final period makes the next version; every version is kept."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        FINAL = "final", _("已定稿")

    ANNUAL = 0

    body = models.ForeignKey(
        "sectors.Body",
        verbose_name=_("政协"),
        on_delete=models.PROTECT,
        related_name="score_periods",
        db_index=False,  # the unique constraint below leads with body
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(
        _("季度"), help_text=_("1–4 为季度通报(年初至季末),0 为年度考核")
    )
    version = models.PositiveSmallIntegerField(_("版本"), default=1)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    rulebook = models.ForeignKey(
        Rulebook,
        verbose_name=_("计分规则"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="periods",
        help_text=_("最近一次计算所用的规则版本"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    finalised_at = models.DateTimeField(_("定稿时间"), null=True, blank=True)
    disputes_close_at = models.DateTimeField(_("异议截止"), null=True, blank=True)
    # The review (scoring.review): who published and finalised this version,
    # and, for a version made by reopening a final one, that one, why and by
    # whom (when: created_at).
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("定稿人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reopened_from = models.ForeignKey(
        "self",
        verbose_name=_("重新打开的版本"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reopenings",
    )
    reopen_reason = models.TextField(_("重新打开的理由"), blank=True, default="")
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("重新打开人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("评分期")
        verbose_name_plural = _("评分期")
        ordering = ["body", "-year", "-quarter", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["body", "year", "quarter", "version"], name="score_period_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(quarter__gte=0, quarter__lte=4), name="score_period_quarter_0_to_4"
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="score_period_version_positive"
            ),
            models.CheckConstraint(
                condition=Q(reopened_from__isnull=True) | ~Q(reopen_reason=""),
                name="score_period_reopen_has_reason",
            ),
        ]

    def __str__(self):
        return str(self.label)

    @property
    def is_annual(self) -> bool:
        return self.quarter == self.ANNUAL

    @property
    def label(self) -> str:
        if self.is_annual:
            return _("%(year)s 年度考核") % {"year": self.year}
        return _("%(year)s 年第 %(quarter)s 季度通报") % {
            "year": self.year,
            "quarter": self.quarter,
        }

    @property
    def dates(self) -> tuple[datetime.date, datetime.date]:
        """1 January to the end of the quarter (or of the year): the year to date."""
        from scoring.reference import quarter_to_date

        return quarter_to_date(self.year, 4 if self.is_annual else self.quarter)


class Score(models.Model):
    """One member's result for one period: the total and grade with what made
    them (the lines, the category totals, vetoes), or why the member is not
    assessed. A computation updates the rows of a draft in place."""

    class Exempt(models.TextChoices):
        NONE = "", _("参加考核")
        FLAG = "flag", _("按身份不参加考核")
        JOINED_AFTER = "joined_after", _("增补时间晚于考核截止日")
        ON_LEAVE = "on_leave", _("经批准长期请假")
        SHARE = "share", _("在职时间不足")

    period = models.ForeignKey(
        ScorePeriod,
        verbose_name=_("评分期"),
        on_delete=models.CASCADE,
        related_name="scores",
        db_index=False,  # the unique constraint below leads with period
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("委员"), on_delete=models.PROTECT, related_name="scores"
    )
    rulebook = models.ForeignKey(
        Rulebook, verbose_name=_("计分规则"), on_delete=models.PROTECT, related_name="scores"
    )
    assessed = models.BooleanField(_("参加考核"), default=True)
    exempt_reason = models.CharField(
        _("不参加考核的原因"), max_length=12, choices=Exempt.choices, blank=True, default=""
    )
    share = models.DecimalField(_("在职比例"), max_digits=5, decimal_places=4, default=Decimal(1))
    total = models.DecimalField(_("总分"), max_digits=12, decimal_places=2, null=True, blank=True)
    grade = models.CharField(_("等次"), max_length=50, blank=True, default="")
    grade_before_veto = models.CharField(_("否决前等次"), max_length=50, blank=True, default="")
    # Codes from the rulebook, in its order: vetoes whose condition held,
    # follow-ups (提醒谈话 …) and candidate lists (优秀委员候选) the member is on.
    vetoes = models.JSONField(_("一票否决"), default=list, blank=True)
    follow_ups = models.JSONField(_("后续处理"), default=list, blank=True)
    candidates = models.JSONField(_("候选"), default=list, blank=True)
    # The receipt's subtotals: [{code, name, parent, raw, total, limited_by}],
    # and the checklists: [{code, name, items: [{code, name, required, met,
    # count, sources}]}]. Numbers are strings of Decimals.
    categories = models.JSONField(_("分类小计"), default=list, blank=True)
    checklists = models.JSONField(_("清单"), default=list, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), default=timezone.now)
    # Set instead of recomputing when the member's records change after the
    # period is final (scoring.review.scores_follow_records): the final score
    # stands until staff reopen the period; cleared if the records change back.
    changed_since_final_at = models.DateTimeField(_("定稿后记录变动"), null=True, blank=True)

    class Meta:
        verbose_name = _("履职得分")
        verbose_name_plural = _("履职得分")
        constraints = [
            models.UniqueConstraint(fields=["period", "member"], name="one_score_per_period"),
        ]
        indexes = [
            # the review table: a period's scores by total, by grade
            models.Index(fields=["period", "total"], name="score_period_total"),
            models.Index(fields=["period", "grade"], name="score_period_grade"),
        ]

    def __str__(self):
        return f"{self.member_id} {self.period_id} {self.total}"


class ScoreLine(models.Model):
    """One line of a member's receipt: an item of the rulebook with how many
    facts it matched and counted, its points before and after its cap and what
    limited it; or a staff adjustment, which always has a reason, who and
    when. The records that made a line are found when it is opened
    (scoring.receipts): the computation of a province does not carry them."""

    score = models.ForeignKey(
        Score,
        verbose_name=_("得分"),
        on_delete=models.CASCADE,
        related_name="lines",
        db_index=False,  # the (score, position) index leads with score
    )
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    category = models.CharField(_("类别代码"), max_length=50)
    item_code = models.CharField(_("计分项代码"), max_length=50)
    item_name = models.CharField(_("计分项"), max_length=200)
    matched = models.PositiveIntegerField(_("符合条数"), default=0)
    counted = models.PositiveIntegerField(_("计分条数"), default=0)
    points_before_cap = models.DecimalField(_("封顶前得分"), max_digits=12, decimal_places=2)
    points = models.DecimalField(_("得分"), max_digits=12, decimal_places=2)
    # What limited the line: not_applicable, highest, first, from_nth, cap,
    # floor, max (scoring.reference.LIMITS).
    limited_by = models.JSONField(_("限制"), default=list, blank=True)
    is_adjustment = models.BooleanField(_("人工调整"), default=False)
    adjustment_reason = models.TextField(_("调整理由"), blank=True, default="")
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("调整人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    adjusted_at = models.DateTimeField(_("调整时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("得分明细")
        verbose_name_plural = _("得分明细")
        ordering = ["score", "position", "id"]
        constraints = [
            # A computation upserts a score's lines by item, so a line keeps its
            # id (disputes point at it); an adjustment has a code of its own.
            models.UniqueConstraint(fields=["score", "item_code"], name="one_line_per_score_item"),
            models.CheckConstraint(
                condition=Q(is_adjustment=False)
                | (~Q(adjustment_reason="") & Q(adjusted_at__isnull=False)),
                name="score_adjustment_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.item_name} {self.points}"


class Mark(models.Model):
    """A mark staff enter for a member and a `mark` item of the year's rulebook
    (述职会评分, 民主测评), kept with who entered it; scoring.services.mark_set
    bounds it by the item's max. Changes are kept in the history."""

    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("委员"),
        on_delete=models.PROTECT,
        related_name="marks",
        db_index=False,  # the unique constraint below leads with member
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    item_code = models.CharField(_("计分项代码"), max_length=50)
    value = models.DecimalField(_("评分"), max_digits=12, decimal_places=2)
    note = models.CharField(_("备注"), max_length=300, blank=True, default="")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_at = models.DateTimeField(_("录入时间"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("评分录入")
        verbose_name_plural = _("评分录入")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "year", "item_code"], name="one_mark_per_member_year_item"
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="mark_not_negative"),
        ]

    def __str__(self):
        return f"{self.member_id} {self.year} {self.item_code} {self.value}"


# Computation jobs -------------------------------------------------------------------


class ScoreJobQuerySet(models.QuerySet):
    def active(self):
        """Jobs a worker has still to finish: queued or running."""
        return self.filter(status__in=ScoreJob.ACTIVE)


class ScoreJob(models.Model):
    """One request to compute a period (staff, or beat after a quarter ends),
    run by a worker with scoring.jobs.score_job_run: its status, how far it
    got, and who runs it now. A worker writes `heartbeat_at` every few seconds
    while it runs, so a job whose worker died is found and queued again
    (scoring.jobs.score_jobs_sweep). At most one job of a period is active."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("计算中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")
        REFUSED = "refused", _("未计算")

    class Phase(models.TextChoices):
        WAITING = "", _("等待开始")
        READING = "reading", _("读取履职记录")
        EVALUATING = "evaluating", _("计算委员得分")
        WRITING = "writing", _("写入得分")
        DONE = "done", _("完成")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    period = models.ForeignKey(
        ScorePeriod,
        verbose_name=_("评分期"),
        on_delete=models.CASCADE,
        related_name="jobs",
        db_index=False,  # the (period, created_at) index leads with period
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,  # null: started by the schedule after the quarter ended
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    phase = models.CharField(
        _("阶段"), max_length=12, choices=Phase.choices, blank=True, default=Phase.WAITING
    )
    done = models.PositiveIntegerField(_("已计算人数"), default=0)
    total = models.PositiveIntegerField(_("总人数"), default=0)
    message = models.CharField(_("说明"), max_length=500, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    # host:pid:token of the run in progress; a worker writes only a job it runs.
    runner = models.CharField(_("执行进程"), max_length=120, blank=True, default="")
    created_at = models.DateTimeField(_("发起时间"), default=timezone.now)
    queued_at = models.DateTimeField(_("排队时间"), default=timezone.now)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("最近心跳"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    members = models.PositiveIntegerField(_("计算人数"), null=True, blank=True)
    assessed = models.PositiveIntegerField(_("参加考核人数"), null=True, blank=True)
    lines = models.PositiveIntegerField(_("得分明细条数"), null=True, blank=True)

    objects = ScoreJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("计算任务")
        verbose_name_plural = _("计算任务")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Two jobs of one period would compute it twice at best; the
            # service refuses a second one, this holds under a race.
            models.UniqueConstraint(
                fields=["period"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_score_job_per_period",
            ),
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")), name="score_job_done_within_total"
            ),
        ]
        indexes = [
            models.Index(fields=["period", "created_at"], name="score_job_period_created"),
        ]

    def __str__(self):
        return f"{self.period_id} {self.status} {self.done}/{self.total}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return self.done * 100 // self.total if self.total else 0


# The year: imported history, duty reports, checklist reminders --------------------


class PastResult(models.Model):
    """A final annual result of a year before this system scored the body,
    imported from Excel (scoring.history_import), so that the consecutive-years
    follow-ups and the what-if have earlier years from the first year on.

    Kept apart from Score: an imported result has no rulebook, lines or
    receipt, and must never be published, disputed or reopened as a period
    could be. It is keyed by person, as the follow-ups read history (a new
    term is a new seat, the same person); `member` is the seat the row named."""

    body = models.ForeignKey(
        "sectors.Body",
        verbose_name=_("政协"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the unique constraint below leads with body
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    person = models.ForeignKey(
        "members.Person", verbose_name=_("人员"), on_delete=models.PROTECT, related_name="+"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("委员"), on_delete=models.PROTECT, related_name="+"
    )
    total = models.DecimalField(_("总分"), max_digits=12, decimal_places=2)
    grade = models.CharField(_("等次"), max_length=50, blank=True, default="")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("导入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("导入时间"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("往年考核结果")
        verbose_name_plural = _("往年考核结果")
        ordering = ["body", "-year", "-total"]
        constraints = [
            models.UniqueConstraint(
                fields=["body", "year", "person"], name="one_past_result_per_person_year"
            ),
        ]

    def __str__(self):
        return f"{self.person_id} {self.year} {self.total}"


def _duty_report_path(report, filename):
    # A random name on disk: the member's file name never reaches a path.
    import uuid

    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"duty_reports/{report.year}/{uuid.uuid4().hex}.{extension}"


class AnnualDutyReport(models.Model):
    """A member's annual duty report (述职报告) for a year: text, a file, or
    both. The member writes it until the year's annual assessment is final;
    the body's staff and leadership read it beside the assessment."""

    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("委员"),
        on_delete=models.PROTECT,
        related_name="duty_reports",
        db_index=False,  # the unique constraint below leads with member
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    text = models.TextField(_("述职报告"), blank=True, default="")
    file = models.FileField(_("附件"), upload_to=_duty_report_path, blank=True, max_length=200)
    file_name = models.CharField(_("文件名"), max_length=200, blank=True, default="")
    content_type = models.CharField(max_length=100, blank=True, default="")
    size = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    class Meta:
        verbose_name = _("述职报告")
        verbose_name_plural = _("述职报告")
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="one_duty_report_per_year"),
            models.CheckConstraint(
                condition=~Q(text="") | ~Q(file=""), name="duty_report_has_text_or_file"
            ),
        ]
        indexes = [models.Index(fields=["year", "member"], name="duty_report_year_member")]

    def __str__(self):
        return f"{self.member_id} {self.year}"


class ChecklistReminder(models.Model):
    """A date staff set on which members still missing required items of a
    checklist (六个一) get a notice; sent once (`sent_at`)."""

    body = models.ForeignKey(
        "sectors.Body",
        verbose_name=_("政协"),
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique constraint below leads with body
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    checklist_code = models.CharField(_("清单代码"), max_length=50)
    on = models.DateField(_("提醒日期"))
    message = models.CharField(_("提醒内容"), max_length=500, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("设置人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("设置时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    sent_count = models.PositiveIntegerField(_("提醒人数"), default=0)

    class Meta:
        verbose_name = _("清单提醒")
        verbose_name_plural = _("清单提醒")
        ordering = ["body", "year", "on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["body", "year", "checklist_code", "on"], name="one_checklist_reminder_a_day"
            ),
        ]
        indexes = [models.Index(fields=["sent_at", "on"], name="checklist_reminder_due")]

    def __str__(self):
        return f"{self.body_id} {self.year} {self.checklist_code} {self.on}"


class PendingTask(models.Model):
    """A message to a worker that could not be sent because the broker was
    unreachable (scoring/pending.py); sent again by beat every minute and
    deleted once a publish succeeds. Only idempotent tasks are kept here: a
    message sent twice does no harm."""

    task = models.CharField(_("任务"), max_length=200)
    kwargs = models.JSONField(_("参数"), default=dict)
    created_at = models.DateTimeField(_("记录时间"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("重发次数"), default=0)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("待发送任务")
        verbose_name_plural = _("待发送任务")
        ordering = ["id"]

    def __str__(self):
        return f"{self.task} {self.kwargs}"
