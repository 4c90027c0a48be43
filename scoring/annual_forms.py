"""Forms of the year's pages: the history import, the duty report, checklist
reminders and the what-if."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.forms import DateInput, StyledFormMixin
from scoring.annual import REPORT_TEXT_MAX
from sectors.models import Term


class HistoryImportForm(StyledFormMixin, forms.Form):
    term = forms.ModelChoiceField(
        label=gettext_lazy("按哪一届的委员编号识别"), queryset=Term.objects.none()
    )
    file = forms.FileField(
        label=gettext_lazy("往年考核结果文件"),
        help_text=gettext_lazy(
            "Excel .xlsx 文件;第一个工作表,表头行含“年度”“委员编号”“姓名”“总分”,可有“等次”。"
        ),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def __init__(self, *args, body_ids, **kwargs):
        super().__init__(*args, **kwargs)
        terms = (
            Term.objects.filter(body_id__in=body_ids)
            .select_related("body")
            .order_by("body__name", "-number")
        )
        self.fields["term"].queryset = terms
        self.fields["term"].label_from_instance = lambda t: f"{t.body.name} {t}"
        current = [t for t in terms if t.is_current]
        if current:
            self.fields["term"].initial = current[0].pk


class DutyReportForm(StyledFormMixin, forms.Form):
    text = forms.CharField(
        label=gettext_lazy("述职报告"),
        required=False,
        max_length=REPORT_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=gettext_lazy("可直接填写,也可上传文件,或两者都有。"),
    )
    file = forms.FileField(
        label=gettext_lazy("上传述职报告文件"),
        required=False,
        help_text=gettext_lazy("PDF 或 Word(.docx)文件,不超过 10 MB;上传新文件会替换原文件。"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx"}),
    )
    remove_file = forms.BooleanField(label=gettext_lazy("删除已上传的文件"), required=False)


class ChecklistReminderForm(StyledFormMixin, forms.Form):
    checklist_code = forms.ChoiceField(label=gettext_lazy("清单"))
    on = forms.DateField(label=gettext_lazy("提醒日期"), widget=DateInput())
    message = forms.CharField(
        label=gettext_lazy("提醒内容"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("会附上该委员尚未完成的项目;不填则只列出未完成的项目。"),
    )

    def __init__(self, *args, checklists, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checklist_code"].choices = [(c.code, c.name) for c in checklists]

    def clean_on(self):
        on = self.cleaned_data["on"]
        if on < timezone.localdate():
            raise forms.ValidationError(_("提醒日期不能早于今天"))
        return on


class WhatIfForm(StyledFormMixin, forms.Form):
    rulebook = forms.ModelChoiceField(
        label=gettext_lazy("试算的计分规则"), queryset=None, empty_label=None
    )
    year = forms.IntegerField(
        label=gettext_lazy("用哪一年的履职记录"),
        min_value=2000,
        max_value=2100,
        required=False,
        help_text=gettext_lazy("不填则为规则年度的上一年"),
    )

    def __init__(self, *args, rulebooks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rulebook"].queryset = rulebooks
        self.fields["rulebook"].label_from_instance = lambda r: (
            _("%(body)s %(year)s 年度 第 %(version)s 版(%(status)s)")
            % {
                "body": r.body.short_name or r.body.name,
                "year": r.year,
                "version": r.version,
                "status": r.get_status_display(),
            }
        )

    def clean_year(self):
        year = self.cleaned_data.get("year")
        if year is not None and year > timezone.localdate().year:
            raise forms.ValidationError(_("只能用今年及以前的履职记录试算"))
        return year
