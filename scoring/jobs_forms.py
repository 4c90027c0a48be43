"""The form of the periods page: which body's period to compute."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy

from members.forms import StyledFormMixin
from scoring.jobs import last_ended_quarter
from sectors.models import Body

QUARTERS = [
    (1, gettext_lazy("第一季度通报")),
    (2, gettext_lazy("第二季度通报")),
    (3, gettext_lazy("第三季度通报")),
    (4, gettext_lazy("第四季度通报")),
    (0, gettext_lazy("年度考核")),
]


class PeriodComputeForm(StyledFormMixin, forms.Form):
    body = forms.ModelChoiceField(label=gettext_lazy("政协"), queryset=Body.objects.none())
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    quarter = forms.TypedChoiceField(
        label=gettext_lazy("评分期"),
        choices=QUARTERS,
        coerce=int,
        help_text=gettext_lazy("季度通报统计年初至季末;年度考核统计全年"),
    )

    def __init__(self, *args, bodies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].queryset = bodies
        # The quarter that ended last: what staff compute most days.
        year, quarter = last_ended_quarter(timezone.localdate())
        self.fields["year"].initial, self.fields["quarter"].initial = year, quarter
