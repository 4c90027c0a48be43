"""Forms for the consultation pages. They check the shape of the input; the
services check the rules, and their refusals land on the same fields."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from consultations.models import OutsideParticipant
from consultations.selectors import current_members
from duties.models import Participation
from members.forms import DateInput, StyledFormMixin
from sectors.models import MemberHome


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.person.name}({obj.number})"


class MemberMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.person.name}({obj.number})"


class ConsultationForm(StyledFormMixin, forms.Form):
    """A session; on creation also its participating members (later changed one by one)."""

    topic = forms.CharField(label=_("议题"), max_length=200)
    room = forms.ModelChoiceField(
        label=_("议事室"),
        queryset=MemberHome.objects.none(),
        help_text=_("议事室在“组织机构”的委员之家中维护"),
    )
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=DateTimeInput())
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=DateTimeInput())
    member_convenor = MemberChoiceField(label=_("委员召集人"), queryset=None)
    official_convenor_name = forms.CharField(label=_("部门召集人"), max_length=50)
    official_convenor_unit = forms.CharField(label=_("部门召集人单位"), max_length=100)
    members = MemberMultipleChoiceField(
        label=_("参加委员"),
        queryset=None,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("可多选;召集人无需再选"),
    )

    def __init__(self, *args, term, with_members: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        members = current_members(term=term)
        self.fields["room"].queryset = MemberHome.objects.filter(body_id=term.body_id)
        self.fields["member_convenor"].queryset = members
        if with_members:
            self.fields["members"].queryset = members
        else:
            del self.fields["members"]

    def clean(self):
        cleaned = super().clean()
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts_at and ends_at and ends_at < starts_at:
            self.add_error("ends_at", _("结束时间不能早于开始时间"))
        return cleaned


class ParticipantForm(StyledFormMixin, forms.Form):
    member = MemberChoiceField(label=_("委员"), queryset=None)
    role = forms.ChoiceField(
        label=_("角色"),
        choices=[
            (Participation.Role.PARTICIPANT, Participation.Role.PARTICIPANT.label),
            (Participation.Role.SPEAKER, Participation.Role.SPEAKER.label),
        ],
        initial=Participation.Role.PARTICIPANT,
    )

    def __init__(self, *args, term, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = current_members(term=term)


class OutsideParticipantForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    unit = forms.CharField(label=_("单位或住址"), max_length=100, required=False)
    kind = forms.ChoiceField(label=_("身份"), choices=OutsideParticipant.Kind.choices)


class SuggestionForm(StyledFormMixin, forms.Form):
    text = forms.CharField(label=_("意见建议"), widget=forms.Textarea(attrs={"rows": 3}))
    raised_by_member = MemberChoiceField(
        label=_("提出的委员"), queryset=None, required=False, empty_label=_("(不是委员)")
    )
    raised_by_name = forms.CharField(
        label=_("提出人"), max_length=50, required=False, help_text=_("群众或部门人员提出时填写")
    )

    def __init__(self, *args, term, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["raised_by_member"].queryset = current_members(term=term)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("raised_by_member") and not cleaned.get("raised_by_name", "").strip():
            self.add_error("raised_by_name", _("请选择提出的委员或填写提出人"))
        return cleaned


class OutcomeForm(StyledFormMixin, forms.Form):
    outcome = forms.CharField(label=_("协商成果"), widget=forms.Textarea(attrs={"rows": 5}))


class FollowUpForm(StyledFormMixin, forms.Form):
    date = forms.DateField(label=_("日期"), widget=DateInput())
    text = forms.CharField(label=_("跟进情况"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)


class SolveForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        label=_("说明"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class OnlineConsultationForm(StyledFormMixin, forms.Form):
    topic = forms.CharField(label=_("议题"), max_length=200)
    description = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    opens_at = forms.DateTimeField(label=_("开始时间"), widget=DateTimeInput())
    closes_at = forms.DateTimeField(label=_("截止时间"), widget=DateTimeInput())

    def clean(self):
        cleaned = super().clean()
        opens_at, closes_at = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", _("截止时间应晚于开始时间"))
        return cleaned


class CommentForm(StyledFormMixin, forms.Form):
    text = forms.CharField(
        label=_("我的意见"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )


class HideForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label=_("隐藏原因"), max_length=200)
