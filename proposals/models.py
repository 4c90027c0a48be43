"""Proposals (提案) from draft to close: proposers, pre-registered topics, review,
gap-free numbers, routing to handling units, replies, the proposer's rating,
and an event row for every change of state."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Party


class HandlingUnit(models.Model):
    """A government department or other organisation that handles proposals
    (承办单位). Its contact people log in with the handling-unit role."""

    body = models.ForeignKey(
        "sectors.Body", on_delete=models.CASCADE, related_name="handling_units"
    )
    name = models.CharField(_("单位名称"), max_length=100)
    is_active = models.BooleanField(_("启用"), default=True)
    contacts = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("联系人账号"),
        blank=True,
        related_name="handling_units",
    )

    class Meta:
        verbose_name = _("承办单位")
        verbose_name_plural = _("承办单位")
        ordering = ["body", "name"]
        constraints = [
            models.UniqueConstraint(fields=["body", "name"], name="unit_name_unique_in_body")
        ]

    def __str__(self):
        return self.name


class Category(models.TextChoices):
    ECONOMY = "economy", _("经济建设")
    POLITICS = "politics", _("政治建设")
    CULTURE = "culture", _("文化建设")
    SOCIETY = "society", _("社会建设")
    ECOLOGY = "ecology", _("生态文明建设")
    OTHER = "other", _("其他")


class Topic(models.Model):
    """A topic pre-registered (选题) before the plenary, so proposals do not
    duplicate one another; a proposal may then be drafted from it."""

    class Status(models.TextChoices):
        REGISTERED = "registered", _("已登记")
        USED = "used", _("已形成提案")
        WITHDRAWN = "withdrawn", _("已撤回")

    session = models.ForeignKey(
        "sectors.PlenarySession", on_delete=models.PROTECT, related_name="proposal_topics"
    )
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    group = models.ForeignKey(
        "sectors.SectorGroup", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("选题"), max_length=200)
    description = models.TextField(_("说明"), blank=True)
    category = models.CharField(_("类别"), max_length=12, choices=Category.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.REGISTERED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("提案选题")
        verbose_name_plural = _("提案选题")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(member__isnull=False) | Q(group__isnull=False), name="topic_has_owner"
            ),
        ]

    def __str__(self):
        return self.title


class ProposalQuerySet(models.QuerySet):
    def submitted(self):
        return self.exclude(
            status__in=[Proposal.Status.DRAFT, Proposal.Status.INVITING, Proposal.Status.WITHDRAWN]
        )

    def accepted(self):
        return self.filter(number__isnull=False)


class Proposal(models.Model):
    """One proposal. `status` moves only through proposals.states."""

    class Kind(models.TextChoices):
        PLENARY = "plenary", _("大会提案")
        REGULAR = "regular", _("平时提案")

    class ProposerKind(models.TextChoices):
        MEMBER = "member", _("委员")
        GROUP = "group", _("界别小组")
        PARTY = "party", _("党派")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        INVITING = "inviting", _("征集联名")
        SUBMITTED = "submitted", _("待审查")
        ACCEPTED = "accepted", _("已立案")
        REJECTED = "rejected", _("不立案")
        MERGED = "merged", _("已并案")
        CONVERTED = "converted", _("已转")
        ROUTED = "routed", _("已交办")
        REPLIED = "replied", _("已答复")
        REHANDLING = "rehandling", _("重新办理")
        CLOSED = "closed", _("已办结")
        WITHDRAWN = "withdrawn", _("已撤回")

    class ConvertedTo(models.TextChoices):
        REPORT = "report", _("社情民意信息")
        OPINION = "opinion", _("意见建议")
        LETTER = "letter", _("来信")

    body = models.ForeignKey("sectors.Body", on_delete=models.PROTECT, related_name="proposals")
    session = models.ForeignKey(
        "sectors.PlenarySession",
        verbose_name=_("届次会议"),
        on_delete=models.PROTECT,
        related_name="proposals",
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.REGULAR)
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals"
    )
    title = models.CharField(_("案由"), max_length=200)
    category = models.CharField(_("类别"), max_length=12, choices=Category.choices)
    content = models.TextField(_("内容"))
    suggested_units = models.ManyToManyField(
        HandlingUnit, verbose_name=_("建议承办单位"), blank=True, related_name="+"
    )
    proposer_kind = models.CharField(
        _("提案者类型"), max_length=10, choices=ProposerKind.choices, default=ProposerKind.MEMBER
    )
    proposer_group = models.ForeignKey(
        "sectors.SectorGroup",
        verbose_name=_("提案界别小组"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposer_party = models.CharField(
        _("提案党派"), max_length=10, choices=Party.choices, blank=True
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    cosign_deadline = models.DateTimeField(_("联名确认截止"), null=True, blank=True)
    number = models.PositiveIntegerField(_("案号"), null=True, blank=True)
    is_key = models.BooleanField(_("重点提案"), default=False)
    key_leader = models.CharField(_("督办领导"), max_length=50, blank=True)
    is_excellent = models.BooleanField(_("优秀提案"), default=False)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("并入"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
    )
    converted_to = models.CharField(
        _("转为"), max_length=10, choices=ConvertedTo.choices, blank=True
    )
    decision_reason = models.TextField(_("审查意见"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("提案")
        verbose_name_plural = _("提案")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["body", "session", "status"]),
            models.Index(fields=["session", "kind", "number"]),
            # The "all proposals" list, newest first, a page at a time.
            models.Index(
                fields=["body", "-submitted_at", "-created_at", "-id"], name="proposal_body_listing"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "kind", "number"],
                condition=Q(number__isnull=False),
                name="proposal_number_unique",
            ),
            models.CheckConstraint(
                condition=~Q(proposer_kind="group") | Q(proposer_group__isnull=False),
                name="group_proposal_has_group",
            ),
            models.CheckConstraint(
                condition=~Q(proposer_kind="party") | ~Q(proposer_party=""),
                name="party_proposal_has_party",
            ),
            models.CheckConstraint(
                condition=~Q(status="merged") | Q(merged_into__isnull=False),
                name="merged_proposal_names_target",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def number_label(self) -> str:
        return f"第{self.number:04d}号" if self.number else ""


class ProposalNumber(models.Model):
    """The last number given in a session and kind. Accepting locks this row, so
    numbers are unique and gap-free under concurrency."""

    session = models.ForeignKey(
        "sectors.PlenarySession", on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Proposal.Kind.choices)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "kind"], name="one_counter_per_session_kind")
        ]

    def __str__(self):
        return f"{self.session_id}/{self.kind}: {self.last}"


class Proposer(models.Model):
    """A member who proposes: the first proposer, or a co-proposer who must
    confirm before the deadline."""

    class Role(models.TextChoices):
        FIRST = "first", _("第一提案人")
        CO = "co", _("联名提案人")

    class Status(models.TextChoices):
        INVITED = "invited", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        DECLINED = "declined", _("已谢绝")
        EXPIRED = "expired", _("逾期未确认")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="proposers")
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="proposer_roles"
    )
    role = models.CharField(_("身份"), max_length=8, choices=Role.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=Status.choices, default=Status.INVITED
    )
    order = models.PositiveSmallIntegerField(default=0)
    invited_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("提案人")
        verbose_name_plural = _("提案人")
        ordering = ["proposal", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "member"], name="one_proposer_row_per_member"
            ),
            models.UniqueConstraint(
                fields=["proposal"], condition=Q(role="first"), name="one_first_proposer"
            ),
        ]
        indexes = [models.Index(fields=["member", "status"])]

    def __str__(self):
        return f"{self.member} ({self.get_role_display()})"


class ProposalAttachment(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="proposals/%Y/")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()

    class Meta:
        verbose_name = _("提案附件")
        verbose_name_plural = _("提案附件")

    def __str__(self):
        return self.name


class ProposalEvent(models.Model):
    """One change of a proposal's state (or of its routing), for the timeline."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="events")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    verb = models.CharField(max_length=30)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("提案记录")
        verbose_name_plural = _("提案记录")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.proposal_id} {self.verb}"


class Routing(models.Model):
    """A proposal routed to one handling unit (交办): sole, lead or assisting."""

    class Role(models.TextChoices):
        SOLE = "sole", _("单独办理")
        LEAD = "lead", _("主办")
        ASSIST = "assist", _("协办")

    class Status(models.TextChoices):
        ROUTED = "routed", _("办理中")
        OBJECTED = "objected", _("单位有异议")
        WITHDRAWN = "withdrawn", _("已改派")
        REPLIED = "replied", _("已答复")
        REHANDLING = "rehandling", _("重新办理")
        DONE = "done", _("已办结")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="routings")
    unit = models.ForeignKey(HandlingUnit, on_delete=models.PROTECT, related_name="routings")
    role = models.CharField(_("办理方式"), max_length=8, choices=Role.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.ROUTED
    )
    routed_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateField(_("答复期限"))
    objection = models.TextField(_("异议理由"), blank=True)
    objected_at = models.DateTimeField(null=True, blank=True)
    last_reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("交办")
        verbose_name_plural = _("交办")
        ordering = ["proposal", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "unit"],
                condition=~Q(status="withdrawn"),
                name="one_live_routing_per_unit",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "status"]),
            models.Index(fields=["status", "deadline"]),
        ]

    def __str__(self):
        return f"{self.proposal_id} → {self.unit}"


class RoutingProgress(models.Model):
    routing = models.ForeignKey(Routing, on_delete=models.CASCADE, related_name="progress")
    text = models.TextField(_("办理进展"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return self.text[:30]


class Reply(models.Model):
    """The unit's reply (答复). A second round follows a 不满意 rating."""

    class Result(models.TextChoices):
        A = "A", _("A 已解决或采纳")
        B = "B", _("B 正在解决或列入计划")
        C = "C", _("C 因条件限制留作参考")
        D = "D", _("D 其他")

    routing = models.ForeignKey(Routing, on_delete=models.CASCADE, related_name="replies")
    round = models.PositiveSmallIntegerField(default=1)
    result = models.CharField(_("答复类别"), max_length=1, choices=Result.choices)
    text = models.TextField(_("答复内容"))
    file = models.FileField(_("答复函"), upload_to="replies/%Y/", blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("答复")
        verbose_name_plural = _("答复")
        ordering = ["routing", "round"]
        constraints = [
            models.UniqueConstraint(fields=["routing", "round"], name="one_reply_per_round")
        ]

    def __str__(self):
        return f"{self.routing} #{self.round}"


class Rating(models.Model):
    """The first proposer's satisfaction with the replies of one round."""

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", _("满意")
        FAIRLY = "fairly", _("基本满意")
        UNSATISFIED = "unsatisfied", _("不满意")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="ratings")
    round = models.PositiveSmallIntegerField(default=1)
    satisfaction = models.CharField(_("满意度"), max_length=12, choices=Satisfaction.choices)
    comment = models.TextField(_("意见"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("满意度测评")
        verbose_name_plural = _("满意度测评")
        ordering = ["proposal", "round"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "round"], name="one_rating_per_round")
        ]

    def __str__(self):
        return f"{self.proposal_id} #{self.round} {self.satisfaction}"
