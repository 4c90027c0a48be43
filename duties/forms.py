from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duties.models import Activity, ActivityKind, Participation
from members.forms import StyledFormMixin
from members.models import Member
from sectors.models import Committee, MemberHome, SectorGroup, Term


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class ActivityForm(StyledFormMixin, forms.ModelForm):
    """An activity of one term. A convenor (not staff) organises for their own
    group only, so the organiser fields are fixed for them."""

    class Meta:
        model = Activity
        fields = [
            "kind",
            "theme",
            "goal",
            "form",
            "venue_home",
            "venue_text",
            "starts_at",
            "ends_at",
            "organiser",
            "organiser_committee",
            "organiser_group",
            "audience",
            "audience_committee",
            "audience_group",
            "audience_members",
            "capacity",
            "signup_deadline",
            "required_attendance",
        ]
        widgets = {
            "starts_at": DateTimeInput(),
            "ends_at": DateTimeInput(),
            "signup_deadline": DateTimeInput(),
            "goal": forms.Textarea(attrs={"rows": 3}),
            "audience_members": forms.SelectMultiple(attrs={"size": 8}),
        }

    def __init__(self, *args, term: Term, convenor_groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.term = term
        self.convenor_groups = convenor_groups
        self.fields["kind"].queryset = ActivityKind.objects.for_body(term.body_id)
        self.fields["venue_home"].queryset = MemberHome.objects.filter(body_id=term.body_id)
        self.fields["organiser_committee"].queryset = Committee.objects.filter(term=term)
        groups = SectorGroup.objects.filter(term=term)
        self.fields["organiser_group"].queryset = groups
        self.fields["audience_committee"].queryset = Committee.objects.filter(term=term)
        self.fields["audience_group"].queryset = groups
        self.fields["audience_members"].queryset = (
            Member.objects.filter(term=term, left_on__isnull=True)
            .select_related("person")
            .order_by("number")
        )
        self.fields["audience_members"].help_text = _("参加对象为“指定委员”时选择;按住 Ctrl 可多选")
        if convenor_groups is not None:
            # A convenor publishes for their own group only.
            self.fields["organiser"].choices = [
                (Activity.Organiser.GROUP, Activity.Organiser.GROUP.label)
            ]
            self.fields["organiser_group"].queryset = groups.filter(pk__in=convenor_groups)
            self.fields["required_attendance"].disabled = True

    def clean(self):
        data = super().clean()
        starts, ends, deadline = (
            data.get("starts_at"),
            data.get("ends_at"),
            data.get("signup_deadline"),
        )
        if starts and ends and ends < starts:
            self.add_error("ends_at", _("结束时间不能早于开始时间"))
        if starts and deadline and deadline > starts:
            self.add_error("signup_deadline", _("报名截止不能晚于活动开始"))
        if not data.get("venue_home") and not (data.get("venue_text") or "").strip():
            self.add_error("venue_text", _("请选择委员之家或填写地点"))
        organiser = data.get("organiser")
        if organiser == Activity.Organiser.COMMITTEE and not data.get("organiser_committee"):
            self.add_error("organiser_committee", _("请选择组织的专委会"))
        if organiser == Activity.Organiser.GROUP and not data.get("organiser_group"):
            self.add_error("organiser_group", _("请选择组织的界别小组"))
        audience = data.get("audience")
        if audience == Activity.Audience.COMMITTEE and not data.get("audience_committee"):
            self.add_error("audience_committee", _("请选择对象专委会"))
        if audience == Activity.Audience.GROUP and not data.get("audience_group"):
            self.add_error("audience_group", _("请选择对象界别小组"))
        if audience == Activity.Audience.NAMED and not data.get("audience_members"):
            self.add_error("audience_members", _("请选择参加的委员"))
        capacity = data.get("capacity")
        if capacity is not None and capacity < 1:
            self.add_error("capacity", _("名额至少为1;不限名额请留空"))
        if self.instance.pk and capacity is not None and capacity < self.instance.signed_up_count:
            self.add_error(
                "capacity",
                _("已有 %(n)s 人报名,名额不能少于报名人数") % {"n": self.instance.signed_up_count},
            )
        return data


class CancelForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=200)


class LeaveRequestForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("请假事由"), max_length=200)


class AttendanceForm(StyledFormMixin, forms.Form):
    member = forms.IntegerField(widget=forms.HiddenInput)
    attendance = forms.ChoiceField(
        label=_("出席情况"), choices=Participation.Attendance.choices[1:]
    )
    reason = forms.CharField(label=_("请假事由"), max_length=200, required=False)
    role = forms.ChoiceField(label=_("角色"), choices=Participation.Role.choices, required=False)


class ActivityFilterForm(forms.Form):
    """The menu's filters; every field optional, bad values ignored."""

    WHEN_CHOICES = [("upcoming", _("未开始")), ("past", _("已结束")), ("all", _("全部"))]

    q = forms.CharField(required=False)
    kind = forms.ModelChoiceField(queryset=ActivityKind.objects.none(), required=False)
    when = forms.ChoiceField(choices=WHEN_CHOICES, required=False)
    open = forms.BooleanField(required=False)
    mine = forms.BooleanField(required=False)

    def __init__(self, *args, body_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = ActivityKind.objects.filter(
            body_id__in=body_ids, is_active=True
        )

    def apply(self, queryset, *, member_ids):
        # Unbound (the menu opened with no query string) means the defaults, not
        # everything: the first page would be the body's oldest activities.
        if self.is_bound and not self.is_valid():
            return queryset
        data = self.cleaned_data if self.is_bound else {}
        now = timezone.now()
        if data.get("q"):
            queryset = queryset.filter(theme__contains=data["q"].strip())
        if data.get("kind"):
            queryset = queryset.filter(kind=data["kind"])
        when = data.get("when") or "upcoming"
        if when == "upcoming":
            queryset = queryset.filter(ends_at__gte=now)
        elif when == "past":
            queryset = queryset.filter(ends_at__lt=now)
        if data.get("open"):
            queryset = queryset.open_for_signup(now).filter(required_attendance=False)
        if data.get("mine"):
            queryset = queryset.filter(
                participations__member_id__in=member_ids,
                participations__signup__in=[
                    Participation.Signup.CONFIRMED,
                    Participation.Signup.WAITLISTED,
                ],
            )
        return queryset


class KindForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = ActivityKind
        fields = [
            "name",
            "code",
            "category",
            "self_reportable",
            "required_by_default",
            "order",
            "is_active",
        ]

    def clean(self):
        data = super().clean()
        body_id = self.instance.body_id
        for field in ("name", "code"):
            value = data.get(field)
            if (
                value
                and ActivityKind.objects.filter(body_id=body_id, **{field: value})
                .exclude(pk=self.instance.pk)
                .exists()
            ):
                self.add_error(field, _("已有同名或同代码的活动类型"))
        return data
