from django import forms
from django.utils.translation import gettext_lazy as _

from members.forms import DateInput, StyledFormMixin
from members.models import Member
from sectors.models import Committee, MemberHome, PlenarySession, Sector, SectorGroup, Term


class TermForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Term
        fields = ["number", "starts_on", "ends_on", "is_current"]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput()}

    def clean(self):
        data = super().clean()
        if data.get("ends_on") and data.get("starts_on") and data["ends_on"] <= data["starts_on"]:
            self.add_error("ends_on", _("结束日期应晚于开始日期"))
        if data.get("is_current"):
            others = Term.objects.filter(body=self.instance.body, is_current=True).exclude(
                pk=self.instance.pk
            )
            if others.exists():
                self.add_error("is_current", _("本政协已有一届标为本届,请先取消它"))
        number = data.get("number")
        if (
            number
            and Term.objects.filter(body=self.instance.body, number=number)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("number", _("已有第%(n)s届") % {"n": number})
        return data


class PlenarySessionForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = PlenarySession
        fields = ["number", "year", "starts_on", "ends_on"]
        widgets = {"starts_on": DateInput(), "ends_on": DateInput()}

    def clean(self):
        data = super().clean()
        if data.get("ends_on") and data.get("starts_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("闭幕日期不能早于开幕日期"))
        number = data.get("number")
        term = self.instance.term
        if (
            number
            and PlenarySession.objects.filter(term=term, number=number)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            self.add_error("number", _("本届已有第%(n)s次会议") % {"n": number})
        return data


class _UniqueNameInTermMixin:
    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        model = self._meta.model
        if (
            model.objects.filter(term=self.instance.term, name=name)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            raise forms.ValidationError(
                _("本届已有同名的%(what)s") % {"what": model._meta.verbose_name}
            )
        return name


class SectorForm(_UniqueNameInTermMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Sector
        fields = ["name", "order"]


class CommitteeForm(_UniqueNameInTermMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Committee
        fields = ["name", "order"]


class SectorGroupForm(_UniqueNameInTermMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = SectorGroup
        fields = ["name", "sectors", "convenor", "liaison", "order"]
        widgets = {"sectors": forms.CheckboxSelectMultiple}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        term = self.instance.term
        self.fields["sectors"].queryset = Sector.objects.filter(term=term)
        people = Member.objects.filter(term=term, left_on__isnull=True).select_related("person")
        if self.instance.pk:
            people = people.filter(group=self.instance)
        self.fields["convenor"].queryset = people
        self.fields["liaison"].queryset = people
        self.fields["convenor"].help_text = _("从本小组在任委员中选择")


class MemberHomeForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = MemberHome
        fields = ["name", "address"]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if (
            MemberHome.objects.filter(body=self.instance.body, name=name)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            raise forms.ValidationError(_("已有同名的委员之家"))
        return name
