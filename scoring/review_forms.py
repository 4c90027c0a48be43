"""Forms of the quarterly review: the review table's filters, a staff
adjustment, reopening a final period."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.forms import StyledFormMixin
from sectors.models import Sector, SectorGroup

SORTS = [
    ("-total", gettext_lazy("总分从高到低")),
    ("total", gettext_lazy("总分从低到高")),
    ("name", gettext_lazy("姓名")),
    ("-change", gettext_lazy("较上季度增加最多")),
    ("change", gettext_lazy("较上季度减少最多")),
]
FLAGS = [
    ("", gettext_lazy("全部")),
    ("adjusted", gettext_lazy("有人工调整")),
    ("disputed", gettext_lazy("有异议")),
    ("disputes_open", gettext_lazy("异议待处理")),
    ("changed", gettext_lazy("定稿后记录变动")),
    ("not_assessed", gettext_lazy("不参加考核")),
]


class ReviewFilterForm(StyledFormMixin, forms.Form):
    """The review table's filters and order, read from the query string; a
    bad value is shown next to its field and the filter left out."""

    sector = forms.ModelChoiceField(
        label=gettext_lazy("界别"),
        queryset=Sector.objects.none(),
        required=False,
        empty_label=gettext_lazy("全部"),
    )
    group = forms.ModelChoiceField(
        label=gettext_lazy("界别小组"),
        queryset=SectorGroup.objects.none(),
        required=False,
        empty_label=gettext_lazy("全部"),
    )
    standing = forms.ChoiceField(
        label=gettext_lazy("常委"),
        choices=[
            ("", gettext_lazy("全部")),
            ("yes", gettext_lazy("常委")),
            ("no", gettext_lazy("非常委")),
        ],
        required=False,
    )
    grade = forms.ChoiceField(label=gettext_lazy("等次"), choices=[], required=False)
    min_total = forms.DecimalField(
        label=gettext_lazy("最低分"), required=False, max_digits=12, decimal_places=2
    )
    max_total = forms.DecimalField(
        label=gettext_lazy("最高分"), required=False, max_digits=12, decimal_places=2
    )
    flag = forms.ChoiceField(label=gettext_lazy("标记"), choices=FLAGS, required=False)
    sort = forms.ChoiceField(label=gettext_lazy("排序"), choices=SORTS, required=False)

    def __init__(self, *args, term_id=None, grades=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].queryset = Sector.objects.filter(term_id=term_id)
        self.fields["group"].queryset = SectorGroup.objects.filter(term_id=term_id)
        self.fields["grade"].choices = [("", _("全部")), *((g, g) for g in grades)]

    def clean(self):
        data = super().clean()
        low, high = data.get("min_total"), data.get("max_total")
        if low is not None and high is not None and low > high:
            self.add_error("max_total", _("最高分不能低于最低分"))
        return data

    def filters(self) -> dict:
        """The valid filters (all of them when the form is valid)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: data.get(name) for name in self.fields if name not in self.errors}


class AdjustForm(StyledFormMixin, forms.Form):
    points = forms.DecimalField(
        label=gettext_lazy("调整分值"),
        max_digits=8,
        decimal_places=2,
        help_text=gettext_lazy("加分填正数,减分填负数,如 2 或 -1.5"),
        error_messages={
            "required": gettext_lazy("请填写调整的分值"),
            "invalid": gettext_lazy("请填写调整的分值,如 2 或 -1.5"),
            "max_decimal_places": gettext_lazy("分值最多保留两位小数"),
        },
    )
    reason = forms.CharField(
        label=gettext_lazy("调整理由"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("委员本人可以看到调整理由"),
        error_messages={"required": gettext_lazy("请填写调整理由")},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("请填写调整理由"))
        return reason


class ReopenForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("重新打开的理由"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("将生成新的一版并重新发布,已定稿的版本原样保留"),
        error_messages={"required": gettext_lazy("请填写重新打开的理由")},
    )
