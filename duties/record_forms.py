"""Forms of the duty record: self-reported duties with attachments, their
review, and disputes (opening one; resolving one, with the correction each
kind of record takes)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duties.models import ActivityKind, DutyAttachment, Participation
from duties.self_reported import ATTACHMENTS_MAX, attachment_sniff
from members.forms import DateInput, StyledFormMixin


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class SeatChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj.term)


class DutyForm(StyledFormMixin, forms.Form):
    """A self-reported duty. `seats`: the member's current seats (the body's
    self-reportable kinds are offered); `duty`: the one being edited."""

    seat = SeatChoiceField(label=_("委员身份"), queryset=None, empty_label=None)
    kind = forms.ModelChoiceField(label=_("类型"), queryset=None)
    done_on = forms.DateField(label=_("日期"), widget=DateInput())
    description = forms.CharField(
        label=_("内容"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("做了什么、在哪里、与谁、结果如何"),
    )
    attachments = MultipleFileField(
        label=_("附件"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
        help_text=_("JPEG、PNG 图片或 PDF,每个不超过 10 MB,最多 %(n)d 个") % {"n": ATTACHMENTS_MAX},
    )
    remove = forms.ModelMultipleChoiceField(
        label=_("删除已有附件"),
        queryset=DutyAttachment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, seats, duty=None, **kwargs):
        if duty is not None:
            kwargs.setdefault(
                "initial",
                {
                    "seat": duty.member,
                    "kind": duty.kind,
                    "done_on": duty.done_on,
                    "description": duty.description,
                },
            )
        super().__init__(*args, **kwargs)
        self.duty = duty
        self.fields["seat"].queryset = seats
        body_ids = {s.term.body_id for s in seats}
        self.fields["kind"].queryset = (
            ActivityKind.objects.filter(body_id__in=body_ids, is_active=True)
            .self_reportable()
            .order_by("order", "id")
        )
        if duty is not None or len(seats) == 1:
            # The seat is fixed: the one of the duty, or the only one.
            del self.fields["seat"]
            self.fixed_seat = duty.member if duty is not None else seats[0]
        if duty is not None and duty.attachments.exists():
            self.fields["remove"].queryset = duty.attachments.all()
            self.fields["remove"].label_from_instance = lambda a: a.name
        else:
            del self.fields["remove"]

    def clean_done_on(self):
        done_on = self.cleaned_data["done_on"]
        if done_on > timezone.localdate():
            raise ValidationError(_("日期不能晚于今天"))
        return done_on

    def clean_attachments(self):
        files = self.cleaned_data.get("attachments") or []
        errors = []
        for upload in files:
            try:
                attachment_sniff(upload)
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        return files

    def clean(self):
        data = super().clean()
        seat = data.get("seat") or getattr(self, "fixed_seat", None)
        data["seat"] = seat
        kind, done_on = data.get("kind"), data.get("done_on")
        if seat is not None and kind is not None and kind.body_id != seat.term.body_id:
            self.add_error("kind", _("该类型不属于所选委员身份的政协"))
        if seat is not None and done_on is not None and done_on < seat.joined_on:
            self.add_error("done_on", _("日期不能早于任职日期"))
        have = self.duty.attachments.count() if self.duty is not None else 0
        removing = len(data.get("remove") or [])
        adding = len(data.get("attachments") or [])
        if have - removing + adding > ATTACHMENTS_MAX:
            self.add_error("attachments", _("附件最多 %(n)d 个") % {"n": ATTACHMENTS_MAX})
        return data


class ReturnForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("退回原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )


class DisputeForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("异议理由"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("哪里不对,应当是什么"),
    )


class ResolveForm(StyledFormMixin, forms.Form):
    """The decision on a dispute. Subclasses add the correction their record takes."""

    decision = forms.ChoiceField(
        label=_("处理结果"),
        choices=[("correct", _("更正")), ("reject", _("不予采纳"))],
        widget=forms.RadioSelect,
    )
    resolution = forms.CharField(
        label=_("处理意见"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("将通知委员本人"),
    )

    def __init__(self, *args, record=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.record = record

    @property
    def correct(self) -> bool:
        return self.cleaned_data.get("decision") == "correct"

    def correction(self) -> dict:
        """What to change on the record when correcting ({}: nothing structured)."""
        return {}


class ParticipationResolveForm(ResolveForm):
    attendance = forms.ChoiceField(
        label=_("更正后的出席情况"),
        choices=[("", "—"), *Participation.Attendance.choices[1:], ("unknown", _("未登记"))],
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "correct" and not data.get("attendance"):
            self.add_error("attendance", _("更正时请选择出席情况"))
        return data

    def correction(self) -> dict:
        value = self.cleaned_data["attendance"]
        return {"attendance": "" if value == "unknown" else value}


class DutyResolveForm(ResolveForm):
    done_on = forms.DateField(label=_("更正后的日期"), required=False, widget=DateInput())
    kind = forms.ModelChoiceField(
        label=_("更正后的类型"), queryset=ActivityKind.objects.none(), required=False
    )
    verify = forms.BooleanField(label=_("核实为有效履职"), required=False)

    def __init__(self, *args, record=None, **kwargs):
        super().__init__(*args, record=record, **kwargs)
        if record is not None:
            self.fields["kind"].queryset = ActivityKind.objects.filter(
                body_id=record.member.term.body_id, is_active=True, self_reportable=True
            )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "correct" and not self.correction():
            self.add_error(None, _("更正时请修改日期、类型或核实该记录"))
        return data

    def correction(self) -> dict:
        data, out = self.cleaned_data, {}
        if data.get("done_on") and (self.record is None or data["done_on"] != self.record.done_on):
            out["done_on"] = data["done_on"]
        if data.get("kind") and (self.record is None or data["kind"].pk != self.record.kind_id):
            out["kind"] = data["kind"]
        if data.get("verify"):
            out["verify"] = True
        return out


RESOLVE_FORMS = {
    "duties.participation": ParticipationResolveForm,
    "duties.selfreportedduty": DutyResolveForm,
}


def resolve_form_for(label: str):
    """The resolve form for a record type; others (e.g. score lines) take text only."""
    return RESOLVE_FORMS.get(label, ResolveForm)
