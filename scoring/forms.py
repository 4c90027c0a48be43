"""Forms of the rulebook pages: the text pasted or uploaded."""

import os

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.forms import StyledFormMixin
from sectors.models import Body

FILE_MAX = 512 * 1024  # a large rulebook is a few dozen KB
FILE_EXTENSIONS = (".yaml", ".yml", ".json")


class RulebookTextForm(StyledFormMixin, forms.Form):
    """The rulebook's text, pasted or uploaded; `source` is the text to load."""

    text = forms.CharField(
        label=gettext_lazy("规则文本"),
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 24, "spellcheck": "false", "class": "form-control font-monospace small"}
        ),
        help_text=gettext_lazy("YAML 或 JSON,格式见《计分规则文件格式》"),
    )
    file = forms.FileField(
        label=gettext_lazy("或上传规则文件"),
        required=False,
        help_text=gettext_lazy(
            "YAML(.yaml、.yml)或 JSON(.json),UTF-8 编码,不超过 512 KB;上传文件时以文件为准"
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        if os.path.splitext(upload.name)[1].lower() not in FILE_EXTENSIONS:
            raise ValidationError(_("请上传 .yaml、.yml 或 .json 文件"))
        if upload.size > FILE_MAX:
            raise ValidationError(_("文件过大:规则文件不能超过 512 KB"))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(_("文件不是 UTF-8 编码的文本,请另存为 UTF-8 后再上传")) from None

    def clean(self):
        data = super().clean()
        source = data.get("file") or data.get("text") or ""
        if "file" in self.errors:
            return data
        if not source.strip():
            self.add_error("text", _("请粘贴规则文本,或上传规则文件"))
        # A browser posts a textarea with CRLF: store the lines as the file has them.
        data["source"] = source.replace("\r\n", "\n")
        return data


class RulebookCreateForm(RulebookTextForm):
    body = forms.ModelChoiceField(label=gettext_lazy("政协"), queryset=Body.objects.none())
    year = forms.IntegerField(label=gettext_lazy("年度"), min_value=2000, max_value=2100)
    publish = forms.BooleanField(
        label=gettext_lazy("导入后立即发布(本年度原已发布的版本随之停用)"), required=False
    )

    field_order = ["body", "year", "text", "file", "publish"]

    def __init__(self, *args, bodies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].queryset = bodies
        self.fields["year"].initial = timezone.localdate().year
