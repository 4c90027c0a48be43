"""People, their seats in bodies (members), honours, roles, notices and the
log of personal-data exports."""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

mobile_validator = RegexValidator(r"^1[3-9]\d{9}$", _("手机号码应为以1开头的11位数字"))


class Party(models.TextChoices):
    CPC = "cpc", _("中共")
    RCCK = "rcck", _("民革")
    CDL = "cdl", _("民盟")
    CNDCA = "cndca", _("民建")
    CAPD = "capd", _("民进")
    CPWDP = "cpwdp", _("农工党")
    CZGP = "czgp", _("致公党")
    JIUSAN = "jiusan", _("九三学社")
    TDSGL = "tdsgl", _("台盟")
    NON_PARTY = "non_party", _("无党派")
    MASSES = "masses", _("群众")


class Person(models.Model):
    class Gender(models.TextChoices):
        MALE = "m", _("男")
        FEMALE = "f", _("女")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    ethnicity = models.CharField(_("民族"), max_length=20, default="汉族")
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    party = models.CharField(_("党派"), max_length=10, choices=Party.choices)
    workplace = models.CharField(_("工作单位"), max_length=200, blank=True)
    title = models.CharField(_("职务"), max_length=100, blank=True)
    mobile = models.CharField(
        _("手机号码"), max_length=11, blank=True, validators=[mobile_validator]
    )
    email = models.EmailField(_("电子邮箱"), blank=True)
    photo = models.ImageField(_("照片"), upload_to="photos/", blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        ordering = ["name", "id"]
        constraints = [
            # The mobile number identifies a person across bodies (and logs them in).
            models.UniqueConstraint(
                fields=["mobile"], condition=~Q(mobile=""), name="person_mobile_unique"
            ),
        ]

    def __str__(self):
        return self.name


class MemberQuerySet(models.QuerySet):
    def current(self):
        """Seats held today: not left, in a current term."""
        return self.filter(left_on__isnull=True, term__is_current=True)

    def visible_to(self, user):
        """The members this user may see at all; the one scoping rule for every view,
        export and task (field-level rules such as phones live in members.permissions)."""
        from members.permissions import viewer_for

        viewer = viewer_for(user)
        if viewer.is_admin:
            return self
        readable_bodies = viewer.staff_body_ids | viewer.leadership_body_ids | viewer.seat_body_ids
        if not readable_bodies:
            return self.none()
        return self.filter(term__body_id__in=readable_bodies)

    def for_directory(self):
        return self.select_related("person", "sector", "group", "term__body")


class Member(models.Model):
    """A person's seat in one term of one body."""

    class JoinKind(models.TextChoices):
        INITIAL = "initial", _("换届产生")
        BY_ELECTION = "by_election", _("增补")

    class LeftReason(models.TextChoices):
        REMOVED = "removed", _("免去")
        RESIGNED = "resigned", _("辞去")
        TERM_ENDED = "term_ended", _("届满")
        DECEASED = "deceased", _("去世")

    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="seats"
    )
    term = models.ForeignKey(
        "sectors.Term", verbose_name=_("届"), on_delete=models.PROTECT, related_name="members"
    )
    number = models.CharField(_("委员编号"), max_length=20)
    sector = models.ForeignKey(
        "sectors.Sector", verbose_name=_("界别"), on_delete=models.PROTECT, related_name="members"
    )
    group = models.ForeignKey(
        "sectors.SectorGroup",
        verbose_name=_("界别小组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    committees = models.ManyToManyField(
        "sectors.Committee", verbose_name=_("专门委员会"), blank=True, related_name="members"
    )
    is_standing = models.BooleanField(_("常委"), default=False)
    joined_on = models.DateField(_("任职日期"))
    join_kind = models.CharField(
        _("产生方式"), max_length=12, choices=JoinKind.choices, default=JoinKind.INITIAL
    )
    left_on = models.DateField(_("离任日期"), null=True, blank=True)
    left_reason = models.CharField(
        _("离任原因"), max_length=12, choices=LeftReason.choices, blank=True
    )
    history = HistoricalRecords()

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("委员")
        verbose_name_plural = _("委员")
        ordering = ["term", "number"]
        constraints = [
            models.UniqueConstraint(fields=["term", "number"], name="member_number_unique_in_term"),
            models.UniqueConstraint(fields=["term", "person"], name="one_seat_per_person_per_term"),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True, left_reason="")
                | Q(left_on__isnull=False) & ~Q(left_reason=""),
                name="member_left_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["term", "sector"]), models.Index(fields=["term", "group"])]

    def __str__(self):
        return f"{self.person.name}({self.number})"

    @property
    def is_current(self) -> bool:
        return self.left_on is None


class Honour(models.Model):
    class Level(models.TextChoices):
        NATIONAL = "national", _("国家级")
        PROVINCE = "province", _("省级")
        CITY = "city", _("市级")
        COUNTY = "county", _("县级")

    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="honours"
    )
    title = models.CharField(_("表彰名称"), max_length=200)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices)
    awarded_on = models.DateField(_("表彰日期"))

    class Meta:
        verbose_name = _("表彰")
        verbose_name_plural = _("表彰")
        ordering = ["-awarded_on"]
        constraints = [
            # The natural key the history import reads (members.honour_import).
            models.UniqueConstraint(
                "person",
                "title",
                ExtractYear("awarded_on"),
                name="one_honour_per_person_title_year",
            )
        ]

    def __str__(self):
        return self.title


class LongLeave(models.Model):
    """Approved long leave (长期请假) of a seat: rulebooks may exempt a member
    on it from assessment or pro-rate their score (docs/rulebook-format.md,
    "Who is assessed"). Granted and withdrawn by staff; the history keeps both."""

    member = models.ForeignKey(
        "Member", verbose_name=_("委员"), on_delete=models.CASCADE, related_name="long_leaves"
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    reason = models.CharField(_("事由"), max_length=200)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("长期请假")
        verbose_name_plural = _("长期请假")
        ordering = ["member", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="long_leave_ends_after_start"
            ),
        ]

    def __str__(self):
        return f"{self.member_id} {self.starts_on}–{self.ends_on}"


class BodyRole(models.Model):
    """A user's office role in a body. Members and convenors need no row: their
    seats and groups say it. Administrators are superusers."""

    class Role(models.TextChoices):
        STAFF = "staff", _("机关工作人员")
        LEADERSHIP = "leadership", _("主席会议成员")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="body_roles"
    )
    body = models.ForeignKey(
        "sectors.Body", verbose_name=_("政协"), on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField(_("角色"), max_length=12, choices=Role.choices)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("机关角色")
        verbose_name_plural = _("机关角色")
        constraints = [
            models.UniqueConstraint(fields=["user", "body", "role"], name="body_role_unique")
        ]

    def __str__(self):
        return f"{self.user} {self.get_role_display()} @ {self.body}"


class NoticeQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read_at__isnull=True)

    def for_user(self, user):
        return self.filter(person__user=user)


class Notice(models.Model):
    """An in-app notice to one person. `key` makes sending idempotent: a retried
    task that sends the same key again creates nothing."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notices")
    key = models.CharField(max_length=200)
    title = models.CharField(_("标题"), max_length=200)
    text = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "key"], name="notice_once_per_key")
        ]
        indexes = [models.Index(fields=["person", "read_at"])]

    def __str__(self):
        return self.title


class ExportLog(models.Model):
    """Who exported which personal data, when, and how many rows."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    what = models.CharField(_("导出内容"), max_length=100)
    rows = models.PositiveIntegerField(_("行数"))
    filters = models.CharField(_("筛选条件"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("导出记录")
        verbose_name_plural = _("导出记录")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user} {self.what} {self.rows}"


class AuditLog(models.Model):
    """Who changed whose access, when, from what to what. Role changes only:
    exports of personal data have their own log (ExportLog), whose rows carry
    a row count and filters instead of a before and after. Written by
    members.services.audit_record alone, never edited (the admin is read-only)."""

    class Kind(models.TextChoices):
        BODY_ROLE = "body_role", _("机关角色")
        ADMIN_FLAG = "admin_flag", _("后台管理权限")
        GROUP_OFFICER = "group_officer", _("小组召集人、联络员")
        PERMISSION = "permission", _("权限授予")

    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("对象账号"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # As text as well: the trail must still say who and what after an account,
    # a body or a group is deleted.
    by_name = models.CharField(_("操作人"), max_length=150, blank=True)
    target = models.CharField(_("对象"), max_length=200)
    subject = models.CharField(_("事项"), max_length=200)
    before = models.CharField(_("变更前"), max_length=500, blank=True)
    after = models.CharField(_("变更后"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return (
            f"{self.by_name} {self.get_kind_display()} {self.target}: {self.before} → {self.after}"
        )
