"""The filters of each export (summaries.exports.KINDS): only the fields the
export needs, its bodies those the user reads; cleaned to JSON-safe params."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from duties.models import Activity
from members.forms import StyledFormMixin
from members.permissions import readable_body_ids
from sectors.models import Body

QUARTERS = [(1, _("第一季度")), (2, _("第二季度")), (3, _("第三季度")), (4, _("第四季度"))]
ACTIVITY_CHOICES = 200  # the latest activities offered; older ones by date range


class ExportForm(StyledFormMixin, forms.Form):
    body = forms.ModelChoiceField(label=_("政协"), queryset=Body.objects.none(), empty_label=None)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(label=_("季度"), choices=QUARTERS, coerce=int)
    activity = forms.ModelChoiceField(
        label=_("活动"),
        queryset=Activity.objects.none(),
        required=False,
        empty_label=_("(按日期范围导出)"),
    )
    date_from = forms.DateField(
        label=_("开始日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label=_("结束日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, kind, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.prefix = kind.code
        today = timezone.localdate()
        bodies = Body.objects.filter(pk__in=readable_body_ids(user)).order_by("name")
        self.fields["body"].queryset = bodies
        for name in list(self.fields):
            if name not in kind.needs:
                del self.fields[name]
        if "year" in self.fields:
            self.fields["year"].initial = today.year
        if "quarter" in self.fields:
            self.fields["quarter"].initial = max(1, (today.month - 1) // 3)
        if "activity" in self.fields:
            latest = (
                Activity.objects.filter(body__in=bodies, starts_at__lte=timezone.now())
                .exclude(status=Activity.Status.CANCELLED)
                .order_by("-starts_at")
                .values_list("pk", flat=True)[:ACTIVITY_CHOICES]
            )
            self.fields["activity"].queryset = Activity.objects.filter(
                pk__in=list(latest)
            ).order_by("-starts_at")
            self.fields["activity"].label_from_instance = lambda a: (
                f"{timezone.localdate(a.starts_at):%Y-%m-%d} {a.theme}"
            )
            self.fields["date_from"].initial = datetime.date(today.year, 1, 1)
            self.fields["date_to"].initial = today

    def clean(self):
        data = super().clean()
        if self.kind.code == "attendance" and not data.get("activity"):
            start, end = data.get("date_from"), data.get("date_to")
            if not start:
                self.add_error("date_from", _("请选择一次活动,或填写起止日期"))
            if not end:
                self.add_error("date_to", _("请选择一次活动,或填写起止日期"))
            if start and end and start > end:
                self.add_error("date_to", _("结束日期不能早于开始日期"))
        activity, body = data.get("activity"), data.get("body")
        if activity is not None and body is not None and activity.body_id != body.pk:
            self.add_error("activity", _("这次活动不属于所选政协"))
        return data

    def params(self) -> dict:
        """The cleaned filters as the export (and a job row) takes them."""
        params = {}
        for name, value in self.cleaned_data.items():
            if value is None or value == "":
                continue
            if isinstance(value, datetime.date):
                params[name] = value.isoformat()
            elif hasattr(value, "pk"):
                params[name] = value.pk
            else:
                params[name] = value
        return params
