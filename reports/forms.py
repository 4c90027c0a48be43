"""Forms for the report pages. They check the shape of the input; the services
check the rules, and their refusals land on the same fields."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duties.record_forms import MultipleFileField, MultipleFileInput
from duties.self_reported import attachment_sniff
from members.forms import DateInput, StyledFormMixin
from reports.models import Level, ReportAdoption, ReportAttachment
from reports.services import ATTACHMENTS_MAX


class ReportForm(StyledFormMixin, forms.Form):
    """A draft. `authors`: (value, label) pairs of whom the user may write for
    ("m<id>" a seat, "g<id>" a group); left out when editing."""

    author = forms.ChoiceField(label=_("报送名义"))
    title = forms.CharField(label=_("标题"), max_length=200)
    content = forms.CharField(
        label=_("内容"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("反映的情况、问题和建议"),
    )
    attachments = MultipleFileField(
        label=_("附件"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
        help_text=_("JPEG、PNG 图片或 PDF,每个不超过 10 MB,最多 %(n)d 个") % {"n": ATTACHMENTS_MAX},
    )
    remove = forms.ModelMultipleChoiceField(
        label=_("删除已有附件"),
        queryset=ReportAttachment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, authors=(), report=None, **kwargs):
        if report is not None:
            kwargs.setdefault("initial", {"title": report.title, "content": report.content})
        super().__init__(*args, **kwargs)
        self.report = report
        if report is not None:
            del self.fields["author"]
        else:
            self.fields["author"].choices = list(authors)
            if len(authors) == 1:
                self.fields["author"].initial = authors[0][0]
        existing = report.attachments.all() if report is not None else None
        if existing:
            self.fields["remove"].queryset = existing
            self.fields["remove"].label_from_instance = lambda a: a.name
        else:
            del self.fields["remove"]

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
        have = self.report.attachments.count() if self.report is not None else 0
        removing = len(data.get("remove") or [])
        if have - removing + len(data.get("attachments") or []) > ATTACHMENTS_MAX:
            self.add_error("attachments", _("附件最多 %(n)d 个") % {"n": ATTACHMENTS_MAX})
        return data


class UseForm(StyledFormMixin, forms.Form):
    bulletin_year = forms.IntegerField(label=_("编报年度"), min_value=2000, max_value=2100)
    bulletin_issue = forms.IntegerField(
        label=_("期号"), min_value=1, max_value=9999, help_text=_("本年度简报的第几期")
    )
    bulletin_text = forms.CharField(
        label=_("编报文本"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("编入简报的文字,可在委员原文基础上修改;委员原文保留不变"),
    )

    def __init__(self, *args, report, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "bulletin_year": report.bulletin_year or timezone.localdate().year,
                "bulletin_issue": report.bulletin_issue,
                "bulletin_text": report.bulletin_text or report.content,
            },
        )
        super().__init__(*args, **kwargs)


class NotUsedForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("未采用原因"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AdoptionForm(StyledFormMixin, forms.Form):
    level = forms.ChoiceField(label=_("采用级别"), choices=Level.choices)
    mode = forms.ChoiceField(label=_("采用方式"), choices=ReportAdoption.Mode.choices)
    adopted_on = forms.DateField(label=_("采用日期"), widget=DateInput())
    note = forms.CharField(
        label=_("备注"), max_length=300, required=False, help_text=_("如刊物名称、期号")
    )

    def clean_adopted_on(self):
        value = self.cleaned_data["adopted_on"]
        if value > timezone.localdate():
            raise ValidationError(_("日期不能晚于今天"))
        return value


class InstructionForm(StyledFormMixin, forms.Form):
    level = forms.ChoiceField(label=_("领导级别"), choices=Level.choices)
    leader = forms.CharField(label=_("批示领导"), max_length=100, help_text=_("姓名或职务"))
    instructed_on = forms.DateField(label=_("批示日期"), widget=DateInput())
    text = forms.CharField(
        label=_("批示内容"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_instructed_on(self):
        value = self.cleaned_data["instructed_on"]
        if value > timezone.localdate():
            raise ValidationError(_("日期不能晚于今天"))
        return value
