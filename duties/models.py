"""Duty activities: the kinds (data, not code), the activity menu, sign-up and
attendance (one Participation row per member and activity), QR check-in codes
used, self-reported duties with their attachments, and disputes of any record."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """What scoring rules match on; each activity kind belongs to one."""

    INSPECTION = "inspection", _("视察")
    RESEARCH = "research", _("调研")
    CONSULTATION = "consultation", _("协商")
    SUPERVISION = "supervision", _("民主监督")
    TRAINING = "training", _("学习培训")
    MEETING = "meeting", _("会议")
    SPEECH = "speech", _("大会发言")
    GOOD_DEED = "good_deed", _("为群众办实事")
    ATTRACTION = "attraction", _("招商引资/招才引智")
    LIAISON = "liaison", _("联系界别群众")
    PAIRING = "pairing", _("结对帮扶")
    VISIT = "visit", _("走访")
    OTHER = "other", _("其他")


class ActivityKindQuerySet(models.QuerySet):
    def for_body(self, body_id):
        return self.filter(body_id=body_id, is_active=True)

    def self_reportable(self):
        return self.filter(self_reportable=True)


class ActivityKind(models.Model):
    """A kind of duty (视察, 专题协商, 常委会议, 为群众办实事 …). `code` is the stable
    name rulebooks use; `category` groups kinds for scoring and filters."""

    body = models.ForeignKey(
        "sectors.Body", on_delete=models.CASCADE, related_name="activity_kinds"
    )
    name = models.CharField(_("名称"), max_length=50)
    code = models.SlugField(
        _("代码"), max_length=50, help_text=_("计分规则引用的英文代码,如 plenary、standing_meeting")
    )
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    self_reportable = models.BooleanField(_("委员可自行填报"), default=False)
    required_by_default = models.BooleanField(
        _("默认应出席"), default=False, help_text=_("如全体会议、常委会议:对象内每位委员都应出席")
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = ActivityKindQuerySet.as_manager()

    class Meta:
        verbose_name = _("活动类型")
        verbose_name_plural = _("活动类型")
        ordering = ["body", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["body", "code"], name="kind_code_unique_in_body"),
            models.UniqueConstraint(fields=["body", "name"], name="kind_name_unique_in_body"),
        ]

    def __str__(self):
        return self.name


class ActivityQuerySet(models.QuerySet):
    def published(self):
        return self.exclude(status=Activity.Status.DRAFT)

    def open_for_signup(self, now=None):
        now = now or timezone.now()
        return self.filter(status=Activity.Status.PUBLISHED, signup_deadline__gte=now)

    def in_year(self, year: int):
        return self.filter(starts_at__year=year)


class Activity(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("报名中")
        CONFIRMED = "confirmed", _("名单已确定")
        CANCELLED = "cancelled", _("已取消")

    class Organiser(models.TextChoices):
        OFFICE = "office", _("机关")
        COMMITTEE = "committee", _("专门委员会")
        GROUP = "group", _("界别小组")

    class Audience(models.TextChoices):
        ALL = "all", _("全体委员")
        STANDING = "standing", _("常委")
        COMMITTEE = "committee", _("专门委员会委员")
        GROUP = "group", _("界别小组委员")
        NAMED = "named", _("指定委员")

    body = models.ForeignKey("sectors.Body", on_delete=models.PROTECT, related_name="activities")
    term = models.ForeignKey(
        "sectors.Term", verbose_name=_("届"), on_delete=models.PROTECT, related_name="activities"
    )
    kind = models.ForeignKey(
        ActivityKind,
        verbose_name=_("活动类型"),
        on_delete=models.PROTECT,
        related_name="activities",
    )
    theme = models.CharField(_("主题"), max_length=200)
    goal = models.TextField(_("目标"), blank=True)
    form = models.CharField(_("形式"), max_length=200, blank=True)
    venue_home = models.ForeignKey(
        "sectors.MemberHome",
        verbose_name=_("委员之家"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    venue_text = models.CharField(_("地点"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    organiser = models.CharField(
        _("组织方"), max_length=12, choices=Organiser.choices, default=Organiser.OFFICE
    )
    organiser_committee = models.ForeignKey(
        "sectors.Committee",
        verbose_name=_("组织的专委会"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    organiser_group = models.ForeignKey(
        "sectors.SectorGroup",
        verbose_name=_("组织的界别小组"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    audience = models.CharField(
        _("参加对象"), max_length=12, choices=Audience.choices, default=Audience.ALL
    )
    audience_committee = models.ForeignKey(
        "sectors.Committee",
        verbose_name=_("对象专委会"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    audience_group = models.ForeignKey(
        "sectors.SectorGroup",
        verbose_name=_("对象界别小组"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    audience_members = models.ManyToManyField(
        "members.Member", verbose_name=_("指定委员"), blank=True, related_name="+"
    )
    capacity = models.PositiveIntegerField(
        _("名额"), null=True, blank=True, help_text=_("不填为不限")
    )
    signup_deadline = models.DateTimeField(_("报名截止"), null=True, blank=True)
    required_attendance = models.BooleanField(
        _("应出席"),
        default=False,
        help_text=_("对象内每位委员都应出席(全体会议、常委会议等),无需报名"),
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Counted under the activity's row lock so the menu can show seats left without a query per row.
    signed_up_count = models.PositiveIntegerField(default=0)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("履职活动")
        verbose_name_plural = _("履职活动")
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["body", "status", "starts_at"]),
            models.Index(fields=["term", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")), name="activity_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(signed_up_count__lte=models.F("capacity")),
                name="activity_never_overfilled",
            ),
        ]

    def __str__(self):
        return self.theme

    @property
    def venue(self) -> str:
        return self.venue_home.name if self.venue_home_id else self.venue_text

    @property
    def seats_left(self):
        return None if self.capacity is None else max(self.capacity - self.signed_up_count, 0)

    def signup_open(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.status == self.Status.PUBLISHED
            and not self.required_attendance
            and (self.signup_deadline is None or now <= self.signup_deadline)
            and now < self.starts_at
        )


class ParticipationQuerySet(models.QuerySet):
    def on_list(self):
        """Members expected at the activity: signed up, required, or added by staff."""
        return self.filter(signup=Participation.Signup.CONFIRMED)

    def attended(self):
        return self.filter(attendance=Participation.Attendance.ATTENDED)

    def waitlisted(self):
        return self.filter(signup=Participation.Signup.WAITLISTED).order_by("signed_up_at", "id")


class Participation(models.Model):
    """One member at one activity: where they are on the list, and whether they came."""

    class Signup(models.TextChoices):
        CONFIRMED = "confirmed", _("已报名")
        WAITLISTED = "waitlisted", _("候补")
        WITHDRAWN = "withdrawn", _("已退出")
        REMOVED = "removed", _("已调出")

    class Attendance(models.TextChoices):
        UNKNOWN = "", _("未登记")
        ATTENDED = "attended", _("出席")
        EXCUSED = "excused", _("请假")
        ABSENT = "absent", _("缺席")

    class Leave(models.TextChoices):
        NONE = "", _("无")
        REQUESTED = "requested", _("请假待批")
        APPROVED = "approved", _("请假已批准")
        REFUSED = "refused", _("请假未批准")

    class Source(models.TextChoices):
        SIGNUP = "signup", _("自主报名")
        REQUIRED = "required", _("应出席")
        STAFF = "staff", _("工作人员添加")
        CHECKIN = "checkin", _("扫码签到")
        SHEET = "sheet", _("签到表导入")
        HISTORY = "history", _("历史数据导入")

    class Role(models.TextChoices):
        PARTICIPANT = "participant", _("参加")
        SPEAKER = "speaker", _("发言")
        CONVENOR = "convenor", _("召集")

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="participations")
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="participations"
    )
    signup = models.CharField(
        _("名单"), max_length=12, choices=Signup.choices, default=Signup.CONFIRMED
    )
    source = models.CharField(
        _("来源"), max_length=12, choices=Source.choices, default=Source.SIGNUP
    )
    role = models.CharField(
        _("角色"), max_length=12, choices=Role.choices, default=Role.PARTICIPANT
    )
    signed_up_at = models.DateTimeField(default=timezone.now)
    attendance = models.CharField(
        _("出席情况"), max_length=12, choices=Attendance.choices, blank=True, default=""
    )
    leave = models.CharField(
        _("请假"), max_length=12, choices=Leave.choices, blank=True, default=""
    )
    leave_reason = models.CharField(_("请假事由"), max_length=200, blank=True)
    checked_in_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)

    objects = ParticipationQuerySet.as_manager()

    class Meta:
        verbose_name = _("参加记录")
        verbose_name_plural = _("参加记录")
        ordering = ["activity", "signed_up_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "member"], name="one_participation_per_member"
            ),
            models.CheckConstraint(
                condition=~Q(attendance="excused") | Q(leave="approved") | Q(leave=""),
                name="excused_only_with_leave_approved_or_by_staff",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "activity"]),
            models.Index(fields=["activity", "signup", "signed_up_at"]),
        ]

    def __str__(self):
        return f"{self.member} @ {self.activity}"


class CheckInUse(models.Model):
    """A QR code (one minute's token) used by a member: the same code is not
    accepted twice from the same member."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    window = models.BigIntegerField()
    used_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "member", "window"], name="checkin_code_used_once"
            )
        ]

    def __str__(self):
        return f"{self.member_id}@{self.activity_id}:{self.window}"


class SelfReportedDuty(models.Model):
    """A duty done outside the menu, logged by the member; it counts once verified."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审核")
        VERIFIED = "verified", _("已核实")
        RETURNED = "returned", _("已退回")

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="self_reported_duties"
    )
    kind = models.ForeignKey(
        ActivityKind, verbose_name=_("类型"), on_delete=models.PROTECT, related_name="+"
    )
    done_on = models.DateField(_("日期"))
    description = models.TextField(_("内容"))
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.SUBMITTED
    )
    return_reason = models.CharField(_("退回原因"), max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("自报履职")
        verbose_name_plural = _("自报履职")
        ordering = ["-done_on", "-id"]
        indexes = [models.Index(fields=["member", "status", "done_on"])]

    def __str__(self):
        return f"{self.kind} {self.done_on}"


class DutyAttachment(models.Model):
    duty = models.ForeignKey(SelfReportedDuty, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="duties/%Y/")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self):
        return self.name


class Dispute(models.Model):
    """A member's flag (异议) on any record of theirs: a participation, a
    self-reported duty, later a score line. Staff correct the record or reject."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        CORRECTED = "corrected", _("已更正")
        REJECTED = "rejected", _("未采纳")

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="disputes")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    summary = models.CharField(_("记录"), max_length=300)
    reason = models.TextField(_("异议理由"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(_("处理意见"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["content_type", "object_id"]),
            models.Index(fields=["status"]),
        ]
        constraints = [
            # One open dispute per record at a time: a double submit changes nothing.
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=Q(status="open"),
                name="one_open_dispute_per_record",
            )
        ]

    def __str__(self):
        return self.summary


class CalendarFeed(models.Model):
    """A person's private iCalendar feed: the token in the URL is the only key,
    so it can be revoked (a new token) at any time."""

    person = models.OneToOneField(
        "members.Person", on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("日历订阅")
        verbose_name_plural = _("日历订阅")

    def __str__(self):
        return f"{self.person}"
