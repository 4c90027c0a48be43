"""Forms of routing and handling. They check the shape of the input; the
services in proposals.services.handling decide what the lifecycle allows."""

from django import forms
from django.utils.translation import gettext_lazy as _

from members.forms import DateInput, StyledFormMixin
from proposals.models import HandlingUnit, Proposal, Rating, Reply, Routing
from sectors.models import Body


class UnitForm(StyledFormMixin, forms.Form):
    body = forms.ModelChoiceField(label=_("政协"), queryset=Body.objects.none())
    name = forms.CharField(label=_("单位名称"), max_length=100)
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, bodies=None, **kwargs):
        super().__init__(*args, **kwargs)
        if bodies is None:
            del self.fields["body"]  # editing: the body does not change
        else:
            self.fields["body"].queryset = bodies
            if len(bodies) == 1:
                self.fields["body"].initial = bodies[0]
                self.fields["body"].widget = forms.HiddenInput()


class ContactForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    username = forms.RegexField(
        label=_("用户名"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        error_messages={"invalid": _("用户名只能包含字母、数字和 @ . + - _")},
        help_text=_("联系人登录时使用,例如单位拼音缩写加姓名拼音"),
    )


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class UnitsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name


def _units_of(proposal: Proposal):
    return HandlingUnit.objects.filter(body_id=proposal.body_id, is_active=True).order_by("name")


class RouteForm(StyledFormMixin, forms.Form):
    lead_unit = UnitChoiceField(
        label=_("主办(或单独办理)单位"), queryset=HandlingUnit.objects.none()
    )
    assisting_units = UnitsChoiceField(
        label=_("协办单位"),
        queryset=HandlingUnit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("不选协办单位即为单独办理"),
    )
    deadline = forms.DateField(label=_("答复期限"), widget=DateInput())
    note = forms.CharField(
        label=_("交办说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, proposal: Proposal, **kwargs):
        super().__init__(*args, **kwargs)
        units = _units_of(proposal)
        self.fields["lead_unit"].queryset = units
        self.fields["assisting_units"].queryset = units

    def clean(self):
        data = super().clean()
        lead = data.get("lead_unit")
        if lead is not None and lead in data.get("assisting_units", []):
            self.add_error("assisting_units", _("主办单位不能同时为协办单位"))
        return data

    def units(self) -> list[tuple[HandlingUnit, str]]:
        assisting = list(self.cleaned_data["assisting_units"])
        lead = self.cleaned_data["lead_unit"]
        if not assisting:
            return [(lead, Routing.Role.SOLE)]
        return [(lead, Routing.Role.LEAD)] + [(u, Routing.Role.ASSIST) for u in assisting]


class ReassignForm(StyledFormMixin, forms.Form):
    unit = UnitChoiceField(label=_("改派给"), queryset=HandlingUnit.objects.none())
    deadline = forms.DateField(label=_("答复期限"), widget=DateInput())
    note = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, routing: Routing, **kwargs):
        super().__init__(*args, **kwargs)
        busy = routing.proposal.routings.exclude(status=Routing.Status.WITHDRAWN).values("unit_id")
        self.fields["unit"].queryset = _units_of(routing.proposal).exclude(pk__in=busy)


class _OnRoutingPage:
    """The routing page shows the progress, reply and objection forms together:
    each gets ids of its own, so a label never points at another form's field."""

    id_prefix = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class ObjectionForm(_OnRoutingPage, StyledFormMixin, forms.Form):
    id_prefix = "objection"
    reason = forms.CharField(label=_("异议理由"), widget=forms.Textarea(attrs={"rows": 3}))


class ProgressForm(_OnRoutingPage, StyledFormMixin, forms.Form):
    id_prefix = "progress"
    text = forms.CharField(label=_("办理进展"), widget=forms.Textarea(attrs={"rows": 3}))


class ReplyForm(_OnRoutingPage, StyledFormMixin, forms.Form):
    id_prefix = "reply"
    result = forms.ChoiceField(
        label=_("答复类别"), choices=Reply.Result.choices, widget=forms.RadioSelect
    )
    text = forms.CharField(label=_("答复内容"), widget=forms.Textarea(attrs={"rows": 6}))
    file = forms.FileField(
        label=_("答复函"),
        required=False,
        help_text=_("PDF、JPEG 或 PNG,不超过 10 MB"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class RatingForm(StyledFormMixin, forms.Form):
    satisfaction = forms.ChoiceField(
        label=_("满意度"), choices=Rating.Satisfaction.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("意见"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("不满意时请写明意见,提案将退回承办单位重新办理一次"),
    )


class CloseForm(StyledFormMixin, forms.Form):
    note = forms.CharField(label=_("办结说明"), required=False)
