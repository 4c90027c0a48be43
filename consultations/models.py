"""有事好商量 sessions and 云协商 online consultations.

A session is an activity (one Activity row, kind community_consultation), so
members' participation and attendance live in duties.Participation like any
other activity's; this app keeps what is particular to a consultation: the two
convenors, outside participants, suggestions, the outcome and the follow-up
until the problem is solved. An online consultation has an Activity too, on
which members with a visible comment are recorded as attending."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class ConsultationQuerySet(models.QuerySet):
    def in_year(self, year: int):
        return self.filter(activity__starts_at__year=year)

    def for_listing(self):
        return self.select_related("activity__venue_home", "member_convenor__person")


class Consultation(models.Model):
    """One 有事好商量 session: a topic talked over in a consultation room, with a
    member convenor and a convenor from the department that can solve it."""

    class Status(models.TextChoices):
        OPEN = "open", _("跟进中")
        SOLVED = "solved", _("已解决")

    activity = models.OneToOneField(
        "duties.Activity", on_delete=models.PROTECT, related_name="consultation"
    )
    topic = models.CharField(_("议题"), max_length=200)
    member_convenor = models.ForeignKey(
        "members.Member",
        verbose_name=_("委员召集人"),
        on_delete=models.PROTECT,
        related_name="convened_consultations",
    )
    official_convenor_name = models.CharField(_("部门召集人"), max_length=50)
    official_convenor_unit = models.CharField(_("部门召集人单位"), max_length=100)
    outcome = models.TextField(_("协商成果"), blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN)
    solved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    solved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The outcome is overwritten when corrected; the history keeps every version.
    history = HistoricalRecords(excluded_fields=["created_at"])

    objects = ConsultationQuerySet.as_manager()

    class Meta:
        verbose_name = _("有事好商量")
        verbose_name_plural = _("有事好商量")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", solved_at__isnull=True)
                | Q(status="solved", solved_at__isnull=False),
                name="consultation_solved_has_time",
            ),
        ]

    def __str__(self):
        return self.topic

    @property
    def is_solved(self) -> bool:
        return self.status == self.Status.SOLVED


class OutsideParticipant(models.Model):
    """A resident or an official who took part; not a member, so name and unit only."""

    class Kind(models.TextChoices):
        RESIDENT = "resident", _("群众")
        OFFICIAL = "official", _("部门人员")

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="outside_participants"
    )
    name = models.CharField(_("姓名"), max_length=50)
    unit = models.CharField(_("单位或住址"), max_length=100, blank=True)
    kind = models.CharField(_("身份"), max_length=12, choices=Kind.choices)

    class Meta:
        verbose_name = _("其他参加人员")
        verbose_name_plural = _("其他参加人员")
        ordering = ["consultation", "kind", "id"]

    def __str__(self):
        return self.name


class Suggestion(models.Model):
    """A suggestion raised at the session, by a member or by someone else (named)."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="suggestions"
    )
    text = models.TextField(_("意见建议"))
    raised_by_member = models.ForeignKey(
        "members.Member",
        verbose_name=_("提出的委员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    raised_by_name = models.CharField(_("提出人"), max_length=50, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("意见建议")
        verbose_name_plural = _("意见建议")
        ordering = ["consultation", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(raised_by_member__isnull=False) | ~Q(raised_by_name=""),
                name="suggestion_has_author",
            ),
        ]

    def __str__(self):
        return self.text[:30]

    @property
    def author(self) -> str:
        return (
            self.raised_by_member.person.name if self.raised_by_member_id else self.raised_by_name
        )


class FollowUp(models.Model):
    """What was done about the problem after the session, dated."""

    consultation = models.ForeignKey(
        Consultation, on_delete=models.CASCADE, related_name="followups"
    )
    date = models.DateField(_("日期"))
    text = models.TextField(_("跟进情况"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("填写人"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("跟进记录")
        verbose_name_plural = _("跟进记录")
        ordering = ["consultation", "date", "created_at", "id"]

    def __str__(self):
        return f"{self.date} {self.text[:30]}"


class OnlineConsultationQuerySet(models.QuerySet):
    def open_at(self, now):
        return self.filter(opens_at__lte=now, closes_at__gt=now)


class OnlineConsultation(models.Model):
    """云协商: a topic members comment on for a period, moderated by staff."""

    body = models.ForeignKey(
        "sectors.Body", on_delete=models.PROTECT, related_name="online_consultations"
    )
    term = models.ForeignKey(
        "sectors.Term", verbose_name=_("届"), on_delete=models.PROTECT, related_name="+"
    )
    activity = models.OneToOneField(
        "duties.Activity", on_delete=models.PROTECT, related_name="online_consultation"
    )
    topic = models.CharField(_("议题"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("截止时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = OnlineConsultationQuerySet.as_manager()

    class Meta:
        verbose_name = _("云协商")
        verbose_name_plural = _("云协商")
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")),
                name="online_consultation_closes_after_open",
            ),
        ]

    def __str__(self):
        return self.topic

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at

    def phase(self, now=None) -> str:
        now = now or timezone.now()
        if now < self.opens_at:
            return "upcoming"
        return "open" if now < self.closes_at else "closed"


class OnlineCommentQuerySet(models.QuerySet):
    def visible(self):
        return self.filter(hidden=False)


class OnlineComment(models.Model):
    online_consultation = models.ForeignKey(
        OnlineConsultation, on_delete=models.CASCADE, related_name="comments"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("委员"), on_delete=models.PROTECT, related_name="+"
    )
    text = models.TextField(_("意见"))
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    hidden = models.BooleanField(_("已隐藏"), default=False)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_reason = models.CharField(_("隐藏原因"), max_length=200, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)

    objects = OnlineCommentQuerySet.as_manager()

    class Meta:
        verbose_name = _("云协商意见")
        verbose_name_plural = _("云协商意见")
        ordering = ["online_consultation", "created_at", "id"]
        indexes = [models.Index(fields=["online_consultation", "member", "hidden"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(hidden=False) | ~Q(hidden_reason=""), name="comment_hidden_has_reason"
            ),
        ]

    def __str__(self):
        return self.text[:30]
