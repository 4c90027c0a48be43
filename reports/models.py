"""Social-information reports (社情民意信息): written by a member or a sector
group, accepted by staff, edited into the committee's bulletin (编报) or not
used, then adopted (采用) upward and instructed (批示) by leaders. A proposal
converted by the proposals committee arrives here keeping its link.

`status` moves only through reports.states; every change is a ReportEvent."""

from django.conf import settings
from django.db import models
from django.db.models import Case, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Party


class Level(models.TextChoices):
    """The level of the CPPCC that adopts a report, or of the leader who
    instructs on it. Ordered: see RANK."""

    COUNTY = "county", _("县(市、区)级")
    CITY = "city", _("市级")
    PROVINCE = "province", _("省级")
    NATIONAL = "national", _("国家级")


RANK = {Level.COUNTY: 1, Level.CITY: 2, Level.PROVINCE: 3, Level.NATIONAL: 4}
LEVEL_BY_RANK = {rank: level for level, rank in RANK.items()}


def level_rank(field: str) -> Case:
    """An expression ranking a level column, so Max() finds the highest level."""
    return Case(
        *(When(**{field: level}, then=Value(rank)) for level, rank in RANK.items()),
        default=None,
        output_field=IntegerField(),
    )


def level_label(rank) -> str:
    return LEVEL_BY_RANK[rank].label if rank in LEVEL_BY_RANK else ""


class SocialInfoReportQuerySet(models.QuerySet):
    def submitted(self):
        """Every report that has left the draft (withdrawn ones included: they were submitted)."""
        return self.filter(submitted_at__isnull=False)

    def in_year(self, year: int):
        return self.filter(submitted_at__year=year)

    def for_listing(self):
        return self.select_related("body", "author_member__person", "author_group")


class SocialInfoReport(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已报送")
        ACCEPTED = "accepted", _("已受理")
        USED = "used", _("已编报")
        NOT_USED = "not_used", _("未采用")
        WITHDRAWN = "withdrawn", _("已撤回")

    body = models.ForeignKey(
        "sectors.Body", verbose_name=_("政协"), on_delete=models.PROTECT, related_name="reports"
    )
    term = models.ForeignKey(
        "sectors.Term", verbose_name=_("届"), on_delete=models.PROTECT, related_name="+"
    )
    author_member = models.ForeignKey(
        "members.Member",
        verbose_name=_("报送委员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    author_group = models.ForeignKey(
        "sectors.SectorGroup",
        verbose_name=_("报送界别小组"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    # Only for a party's proposal converted here: a party writes no report itself.
    author_party = models.CharField(_("报送党派"), max_length=10, choices=Party.choices, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    content = models.TextField(_("内容"))
    bulletin_text = models.TextField(_("编报文本"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    bulletin_year = models.PositiveSmallIntegerField(_("编报年度"), null=True, blank=True)
    bulletin_issue = models.PositiveSmallIntegerField(_("期号"), null=True, blank=True)
    not_used_reason = models.TextField(_("未采用原因"), blank=True)
    from_proposal = models.OneToOneField(
        "proposals.Proposal",
        verbose_name=_("来源提案"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="report",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("报送时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    objects = SocialInfoReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("社情民意信息")
        verbose_name_plural = _("社情民意信息")
        ordering = ["-submitted_at", "-created_at", "-id"]
        indexes = [
            models.Index(fields=["body", "status", "submitted_at"]),
            models.Index(fields=["author_member", "submitted_at"]),
            models.Index(fields=["body", "bulletin_year", "bulletin_issue"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(author_member__isnull=False)
                | Q(author_group__isnull=False)
                | ~Q(author_party=""),
                name="report_has_author",
            ),
            models.CheckConstraint(
                condition=~Q(status="used")
                | Q(bulletin_year__isnull=False, bulletin_issue__isnull=False),
                name="used_report_has_bulletin_issue",
            ),
            models.CheckConstraint(
                condition=~Q(status="not_used") | ~Q(not_used_reason=""),
                name="not_used_report_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False),
                name="report_left_draft_has_submitted_at",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def author_name(self) -> str:
        if self.author_member_id:
            return self.author_member.person.name
        if self.author_group_id:
            return self.author_group.name
        return self.get_author_party_display()

    @property
    def bulletin_label(self) -> str:
        if self.bulletin_issue is None:
            return ""
        return f"{self.bulletin_year}年第{self.bulletin_issue}期"

    @property
    def top_adoption_label(self) -> str:
        """With the listing selectors' annotation `adoption_rank`."""
        return level_label(getattr(self, "adoption_rank", None))

    @property
    def top_instruction_label(self) -> str:
        return level_label(getattr(self, "instruction_rank", None))


class ReportAttachment(models.Model):
    report = models.ForeignKey(
        SocialInfoReport, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to="reports/%Y/")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("信息附件")
        verbose_name_plural = _("信息附件")
        ordering = ["report", "id"]

    def __str__(self):
        return self.name


class ReportAdoption(models.Model):
    """What a CPPCC at one level did with the report (采用), once per level."""

    class Mode(models.TextChoices):
        SINGLE = "single", _("单篇采用")
        COMBINED = "combined", _("综合采用")
        FORWARDED = "forwarded", _("转送")

    report = models.ForeignKey(SocialInfoReport, on_delete=models.CASCADE, related_name="adoptions")
    level = models.CharField(_("采用级别"), max_length=10, choices=Level.choices)
    mode = models.CharField(_("采用方式"), max_length=10, choices=Mode.choices)
    adopted_on = models.DateField(_("采用日期"))
    note = models.CharField(_("备注"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("信息采用")
        verbose_name_plural = _("信息采用")
        ordering = ["report", "adopted_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "level"], name="one_adoption_per_level")
        ]
        indexes = [models.Index(fields=["level", "adopted_on"])]

    def __str__(self):
        return f"{self.report_id} {self.get_level_display()}{self.get_mode_display()}"


class ReportInstruction(models.Model):
    """A leader's written instruction (批示) on the report."""

    report = models.ForeignKey(
        SocialInfoReport, on_delete=models.CASCADE, related_name="instructions"
    )
    level = models.CharField(_("领导级别"), max_length=10, choices=Level.choices)
    leader = models.CharField(_("批示领导"), max_length=100)
    instructed_on = models.DateField(_("批示日期"))
    text = models.TextField(_("批示内容"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("领导批示")
        verbose_name_plural = _("领导批示")
        ordering = ["report", "instructed_on", "id"]
        indexes = [models.Index(fields=["level", "instructed_on"])]

    def __str__(self):
        return f"{self.report_id} {self.get_level_display()} {self.leader}"


class ReportEvent(models.Model):
    """One line of the report's timeline: who did what, when."""

    class Verb(models.TextChoices):
        CREATED = "created", _("起草")
        CONVERTED = "converted", _("由提案转来")
        SUBMITTED = "submitted", _("报送")
        WITHDRAWN = "withdrawn", _("撤回")
        ACCEPTED = "accepted", _("受理")
        USED = "used", _("编入简报")
        BULLETIN_CHANGED = "bulletin_changed", _("更正编报")
        NOT_USED = "not_used", _("未采用")
        ADOPTED = "adopted", _("上级采用")
        INSTRUCTED = "instructed", _("领导批示")

    report = models.ForeignKey(SocialInfoReport, on_delete=models.CASCADE, related_name="events")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    verb = models.CharField(max_length=20, choices=Verb.choices)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("信息处理记录")
        verbose_name_plural = _("信息处理记录")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.report_id} {self.verb}"
