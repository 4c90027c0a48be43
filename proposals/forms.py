"""Forms of drafting and review. They check the shape of the input; the
services decide what the lifecycle allows and raise field-keyed errors that
the views put back on these forms."""

import datetime

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duties.record_forms import MultipleFileField, MultipleFileInput
from members.forms import DateInput, StyledFormMixin
from members.models import Member, Party
from members.permissions import viewer_for
from proposals.models import Category, HandlingUnit, Proposal, ProposalAttachment, Rating, Topic
from proposals.services.drafting import ATTACHMENTS_MAX
from sectors.models import PlenarySession, SectorGroup

S = Proposal.Status


class SessionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj}({obj.year}年)"


class ProposalChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.number_label or obj.get_status_display()} {obj.title}"


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        group = f" · {obj.group.name}" if obj.group_id else ""
        return f"{obj.person.name}({obj.number}{group})"


def proposer_options(user):
    """What the user may propose as, per term: their own seats; the groups they
    convene or liaise; for staff (and admins) every group and party of the
    bodies they manage. Returns (term ids, [(value, label, term_id or None)])."""
    viewer = viewer_for(user)
    options = []
    seats = Member.objects.current().filter(person__user=user).select_related("term__body")
    for seat in seats:
        options.append(
            (f"member:{seat.pk}", _("本人(%(term)s)") % {"term": seat.term}, seat.term_id)
        )
    groups = SectorGroup.objects.filter(term__is_current=True).select_related("term__body")
    if not viewer.is_admin:
        groups = groups.filter(
            Q(pk__in=viewer.convened_group_ids) | Q(term__body_id__in=viewer.staff_body_ids)
        )
    for group in groups:
        options.append(
            (f"group:{group.pk}", _("界别小组:%(g)s") % {"g": group.name}, group.term_id)
        )
    if viewer.is_admin or viewer.staff_body_ids:
        for value, label in Party.choices:
            if value not in (Party.NON_PARTY, Party.MASSES):
                options.append((f"party:{value}", _("党派:%(p)s") % {"p": label}, None))
    term_ids = {term for _value, _label, term in options if term}
    if viewer.is_admin or viewer.staff_body_ids:
        staff_terms = PlenarySession.objects.filter(term__is_current=True)
        if not viewer.is_admin:
            staff_terms = staff_terms.filter(term__body_id__in=viewer.staff_body_ids)
        term_ids |= set(staff_terms.values_list("term_id", flat=True))
    return term_ids, options


class ProposalTextForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label=_("案由"), max_length=200)
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    content = forms.CharField(
        label=_("内容"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("情况分析、存在问题、具体建议"),
    )
    suggested_units = forms.ModelMultipleChoiceField(
        label=_("建议承办单位"),
        queryset=HandlingUnit.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    attachments = MultipleFileField(
        label=_("附件"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
        help_text=_("JPEG、PNG 图片或 PDF,每个不超过 10 MB,最多 %(n)d 个") % {"n": ATTACHMENTS_MAX},
    )

    def _units_of(self, body_ids):
        self.fields["suggested_units"].queryset = HandlingUnit.objects.filter(
            body_id__in=body_ids, is_active=True
        )


class ProposalCreateForm(ProposalTextForm):
    """A new draft: the session, the kind, as whom, optionally from a topic."""

    session = SessionChoiceField(label=_("届次会议"), queryset=PlenarySession.objects.none())
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=Proposal.Kind.choices,
        initial=Proposal.Kind.REGULAR,
        widget=forms.RadioSelect,
        help_text=_("大会提案须在全体会议期间提交;平时提案归入本年度的全体会议"),
    )
    proposer = forms.ChoiceField(label=_("提案者"))
    topic = forms.ModelChoiceField(
        label=_("来自选题"), queryset=Topic.objects.none(), required=False
    )

    field_order = ["session", "kind", "proposer", "topic", "title", "category", "content"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        term_ids, options = proposer_options(user)
        self.options = options
        sessions = (
            PlenarySession.objects.filter(term_id__in=term_ids)
            .select_related("term__body")
            .order_by("-year", "-number")
        )
        self.fields["session"].queryset = sessions
        this_year = sessions.filter(year=timezone.localdate().year).first()
        if this_year:
            self.fields["session"].initial = this_year.pk
        self.fields["proposer"].choices = [(v, label) for v, label, _term in options]
        if len(options) == 1:
            self.fields["proposer"].initial = options[0][0]
        self.fields["topic"].queryset = Topic.objects.filter(
            session__in=sessions, status=Topic.Status.REGISTERED
        ).filter(
            Q(member__person__user=user)
            | Q(group_id__in=[int(v.split(":")[1]) for v, _l, _t in options if v[:6] == "group:"])
        )
        self._units_of(sessions.values("term__body_id"))

    def clean(self):
        data = super().clean()
        session, proposer = data.get("session"), data.get("proposer")
        if session is None or not proposer:
            return data
        term = {v: t for v, _label, t in self.options}.get(proposer)
        if term is not None and term != session.term_id:
            self.add_error("proposer", _("所选提案者不属于该届次会议"))
        kind, _sep, value = proposer.partition(":")
        data["member"] = Member.objects.get(pk=value) if kind == "member" else None
        data["group"] = SectorGroup.objects.get(pk=value) if kind == "group" else None
        data["party"] = value if kind == "party" else ""
        return data


class ProposalEditForm(ProposalTextForm):
    remove = forms.ModelMultipleChoiceField(
        label=_("删除已有附件"),
        queryset=ProposalAttachment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, proposal: Proposal, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "title": proposal.title,
                "category": proposal.category,
                "content": proposal.content,
                "suggested_units": list(proposal.suggested_units.all()),
            },
        )
        super().__init__(*args, **kwargs)
        self._units_of([proposal.body_id])
        self.fields["remove"].queryset = proposal.attachments.all()
        if not self.fields["remove"].queryset.exists():
            del self.fields["remove"]


class InviteForm(StyledFormMixin, forms.Form):
    members = MemberChoiceField(
        label=_("联名提案人"),
        queryset=Member.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("可多选;被邀请的委员会收到通知,在截止前确认或谢绝"),
    )
    deadline = forms.DateField(label=_("确认截止日期"), widget=DateInput())

    def __init__(self, *args, proposal: Proposal, **kwargs):
        super().__init__(*args, **kwargs)
        asked = proposal.proposers.values("member_id")
        self.fields["members"].queryset = (
            Member.objects.current()
            .filter(term_id=proposal.session.term_id)
            .exclude(pk__in=asked)
            .select_related("person", "group")
            .order_by("person__name")
        )
        if proposal.cosign_deadline:
            self.fields["deadline"].initial = timezone.localdate(proposal.cosign_deadline)
        else:
            self.fields["deadline"].initial = timezone.localdate() + datetime.timedelta(days=7)

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        if deadline < timezone.localdate():
            raise forms.ValidationError(_("截止日期不能早于今天"))
        return deadline


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("confirm", _("确认联名")), ("decline", _("谢绝"))],
        error_messages={"required": _("请选择确认或谢绝")},
    )


class NoteForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RejectForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("不立案理由"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请填写不立案理由")},
    )


class MergeForm(StyledFormMixin, forms.Form):
    into = ProposalChoiceField(
        label=_("并入提案"),
        queryset=Proposal.objects.none(),
        error_messages={"required": _("请选择要并入的提案")},
    )
    note = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, proposal: Proposal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = (
            Proposal.objects.filter(session=proposal.session, status__in=(S.SUBMITTED, S.ACCEPTED))
            .exclude(pk=proposal.pk)
            .order_by("number", "title")
        )


class ConvertForm(StyledFormMixin, forms.Form):
    to = forms.ChoiceField(
        label=_("转为"),
        choices=Proposal.ConvertedTo.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择转为何种形式")},
    )
    note = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class FlagForm(StyledFormMixin, forms.Form):
    is_key = forms.BooleanField(label=_("重点提案"), required=False)
    key_leader = forms.CharField(
        label=_("督办领导"), max_length=50, required=False, help_text=_("重点提案必填")
    )
    is_excellent = forms.BooleanField(label=_("优秀提案"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("is_key") and not (data.get("key_leader") or "").strip():
            self.add_error("key_leader", _("重点提案须填写督办领导"))
        return data


class TopicForm(StyledFormMixin, forms.Form):
    session = SessionChoiceField(label=_("届次会议"), queryset=PlenarySession.objects.none())
    owner = forms.ChoiceField(label=_("登记人"))
    title = forms.CharField(label=_("选题"), max_length=200)
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    description = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        term_ids, options = proposer_options(user)
        self.options = [o for o in options if not o[0].startswith("party:")]
        self.fields["owner"].choices = [(v, label) for v, label, _t in self.options]
        self.fields["session"].queryset = (
            PlenarySession.objects.filter(term_id__in=term_ids, starts_on__gt=timezone.localdate())
            .select_related("term__body")
            .order_by("starts_on")
        )

    def clean(self):
        data = super().clean()
        session, owner = data.get("session"), data.get("owner")
        if session is None or not owner:
            return data
        term = {v: t for v, _label, t in self.options}.get(owner)
        if term != session.term_id:
            self.add_error("owner", _("所选登记人不属于该届次会议"))
        kind, _sep, value = owner.partition(":")
        data["member"] = Member.objects.get(pk=value) if kind == "member" else None
        data["group"] = SectorGroup.objects.get(pk=value) if kind == "group" else None
        return data


class ProposalFilterForm(StyledFormMixin, forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    session = SessionChoiceField(
        label=_("届次会议"), queryset=PlenarySession.objects.none(), required=False
    )
    kind = forms.ChoiceField(
        label=_("类型"), choices=[("", _("全部类型")), *Proposal.Kind.choices], required=False
    )
    status = forms.ChoiceField(
        label=_("状态"), choices=[("", _("全部状态")), *S.choices], required=False
    )
    category = forms.ChoiceField(
        label=_("类别"), choices=[("", _("全部类别")), *Category.choices], required=False
    )
    key = forms.ChoiceField(
        label=_("重点"),
        choices=[("", _("全部")), ("1", _("重点提案")), ("0", _("非重点"))],
        required=False,
    )
    unit = forms.ModelChoiceField(
        label=_("承办单位"), queryset=HandlingUnit.objects.none(), required=False
    )
    satisfaction = forms.ChoiceField(
        label=_("满意度"),
        choices=[("", _("全部")), *Rating.Satisfaction.choices],
        required=False,
    )

    def __init__(self, *args, body_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("案由、案号或提案人")
        self.fields["session"].queryset = (
            PlenarySession.objects.filter(term__body_id__in=body_ids)
            .select_related("term__body")
            .order_by("-year", "-number")
        )
        self.fields["unit"].queryset = HandlingUnit.objects.filter(body_id__in=body_ids)

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "q": data["q"],
            "session": data["session"],
            "kind": data["kind"],
            "status": data["status"],
            "category": data["category"],
            "is_key": {"1": True, "0": False}.get(data["key"]),
            "unit": data["unit"],
            "satisfaction": data["satisfaction"],
        }
