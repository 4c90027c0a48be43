import uuid

from allauth.account.forms import LoginForm as AllauthLoginForm
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from config import uploads
from members.models import Honour, Member, Person
from sectors.models import Committee, SectorGroup, Term


def errors_to_form(form, error: ValidationError, *, rest: str | None = None) -> None:
    """A service's refusal on the form: each error on its field when the form
    has it, the others on `rest` (above the form when None)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else rest, errors)
    else:
        form.add_error(rest, error)


def refusal_messages(request, error: ValidationError) -> None:
    """A service's refusal of an action without a form, as messages on the next page."""
    for message in error.messages:
        messages.error(request, message)


class StyledFormMixin:
    """Bootstrap classes on every widget, and aria-invalid on fields with errors."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(
                widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.RadioSelect
            ):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs.setdefault("class", css)

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = attrs.get("class", "") + " is-invalid"
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self.auto_id % self.add_prefix(name)}_errors"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class LoginForm(StyledFormMixin, AllauthLoginForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["login"].label = _("用户名或手机号")
        self.fields["login"].widget.attrs["placeholder"] = _("用户名或手机号")
        self.fields["login"].widget.attrs["autocomplete"] = "username"


class UniqueMobileMixin:
    """A mobile number logs its person in, so two people may not share one."""

    def clean_mobile(self):
        mobile = self.cleaned_data["mobile"].strip()
        if mobile and Person.objects.filter(mobile=mobile).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("该手机号码已属于另一位人员"))
        return mobile


PHOTO_MAX_BYTES = 2 * 1024 * 1024


class _PhotoLink:
    def __init__(self, url, text):
        self.url, self.text = url, text

    def __str__(self):
        return str(self.text)


class PhotoInput(forms.ClearableFileInput):
    """Django's file input links the current file to its media URL, which
    serves nothing here (files go through views that check rights): link it
    to the member's photo view instead, or to nothing."""

    photo_url = None

    def is_initial(self, value):
        return bool(value and getattr(value, "name", None))

    def format_value(self, value):
        if self.is_initial(value):
            return _PhotoLink(self.photo_url or "#", _("当前照片"))
        return None


class PersonForm(UniqueMobileMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Person
        fields = [
            "name",
            "gender",
            "ethnicity",
            "birth_date",
            "party",
            "workplace",
            "title",
            "mobile",
            "email",
            "photo",
        ]
        widgets = {
            "birth_date": DateInput(),
            "photo": PhotoInput(attrs={"accept": "image/jpeg,image/png"}),
        }

    def __init__(self, *args, photo_url=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photo"].widget.photo_url = photo_url

    def clean_photo(self):
        """A JPEG or PNG image (the type is read from the content, not the
        name), at most 2 MB, stored under a random name with the extension
        of its real type."""
        photo = self.cleaned_data.get("photo")
        if not photo or not hasattr(photo, "image"):
            return photo
        kind = uploads.upload_check(
            photo,
            accept=(uploads.JPEG, uploads.PNG),
            max_bytes=PHOTO_MAX_BYTES,
            too_large=_("照片不能超过 2 MB"),
            wrong_type=_("照片须为 JPEG 或 PNG 图片"),
        )
        photo.name = f"{uuid.uuid4().hex}.{uploads.EXTENSIONS[kind]}"
        photo.content_type = kind
        return photo


class ContactForm(UniqueMobileMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Person
        fields = ["workplace", "title", "mobile", "email"]


class SeatForm(StyledFormMixin, forms.ModelForm):
    """A seat in a given term; sector, group and committee choices come from that term."""

    class Meta:
        model = Member
        fields = [
            "number",
            "sector",
            "group",
            "committees",
            "is_standing",
            "joined_on",
            "join_kind",
        ]
        widgets = {"joined_on": DateInput(), "committees": forms.CheckboxSelectMultiple}

    def __init__(self, *args, term: Term, **kwargs):
        super().__init__(*args, **kwargs)
        self.term = term
        self.fields["sector"].queryset = term.sectors.all()
        self.fields["group"].queryset = SectorGroup.objects.filter(term=term)
        self.fields["committees"].queryset = Committee.objects.filter(term=term)

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        if (
            Member.objects.filter(term=self.term, number=number)
            .exclude(pk=self.instance.pk)
            .exists()
        ):
            raise forms.ValidationError(
                _("本届已有编号为 %(number)s 的委员"), params={"number": number}
            )
        return number


class LeaveForm(StyledFormMixin, forms.Form):
    left_on = forms.DateField(label=_("离任日期"), widget=DateInput())
    reason = forms.ChoiceField(label=_("离任原因"), choices=Member.LeftReason.choices)

    def __init__(self, *args, member: Member, **kwargs):
        super().__init__(*args, **kwargs)
        self.member = member

    def clean_left_on(self):
        left_on = self.cleaned_data["left_on"]
        if left_on < self.member.joined_on:
            raise forms.ValidationError(_("离任日期不能早于任职日期"))
        return left_on


class HonourForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Honour
        fields = ["title", "level", "awarded_on"]
        widgets = {"awarded_on": DateInput()}


class LongLeaveForm(StyledFormMixin, forms.Form):
    starts_on = forms.DateField(label=_("开始日期"), widget=DateInput())
    ends_on = forms.DateField(label=_("结束日期"), widget=DateInput())
    reason = forms.CharField(label=_("事由"), max_length=200)


class CarryOverForm(StyledFormMixin, forms.Form):
    to_term = forms.ModelChoiceField(label=_("新一届"), queryset=Term.objects.none())
    starts_on = forms.DateField(label=_("新一届任职日期"), widget=DateInput())

    def __init__(self, *args, from_term: Term, **kwargs):
        super().__init__(*args, **kwargs)
        self.from_term = from_term
        self.fields["to_term"].queryset = Term.objects.filter(body_id=from_term.body_id).exclude(
            pk=from_term.pk
        )
