"""Roster import for staff, and the roster and directory downloads.

The import is two steps: the upload is checked (nothing written) and, when it
is clean, kept under MEDIA_ROOT/imports/ behind a signed token so the confirm
step imports exactly the file that was checked, without a second upload.
"""

import re
import time
import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from members.forms import StyledFormMixin
from members.models import Member
from members.permissions import managed_body_ids, readable_body_ids, require_permission
from members.roster import (
    REQUIRED_HEADERS,
    ROSTER_COLUMNS,
    directory_export_response,
    roster_export_response,
    roster_import_apply,
    roster_import_preview,
)
from members.selectors import member_filter, member_filter_description
from sectors.models import Term

# Form pages: shown on GET (and HEAD), saved on POST; any other method is refused.
GET_POST = require_http_methods(["GET", "HEAD", "POST"])

TOKEN_SALT = "members.roster_import"
TOKEN_MAX_AGE = 60 * 60
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.xlsx$")


class RosterImportForm(StyledFormMixin, forms.Form):
    term = forms.ModelChoiceField(label=gettext_lazy("导入到"), queryset=Term.objects.none())
    file = forms.FileField(
        label=gettext_lazy("花名册文件"),
        help_text=gettext_lazy("Excel .xlsx 文件;第一个工作表,表头行含“委员编号”“姓名”等列。"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].queryset = (
            Term.objects.filter(body_id__in=managed_body_ids(user))
            .select_related("body")
            .order_by("body_id", "-number")
        )
        # Most imports go to the body's current term: choose it unless told otherwise.
        current = self.fields["term"].queryset.filter(is_current=True).first()
        if current is not None:
            self.fields["term"].initial = current.pk


def _term_for_import(user, term_id) -> Term:
    """404 for a term the user may not see, 403 for one they may only read."""
    try:
        term = Term.objects.select_related("body").filter(pk=int(term_id)).first()
    except (TypeError, ValueError):
        term = None
    managed = managed_body_ids(user)
    if term is None or term.body_id not in (readable_body_ids(user) | managed):
        raise Http404
    if term.body_id not in managed:
        raise PermissionDenied
    return term


def imports_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_store(upload) -> str:
    """Keep a checked upload for the confirm step; forget ones never confirmed."""
    folder = imports_dir()
    cutoff = time.time() - TOKEN_MAX_AGE
    for old in folder.glob("*.xlsx"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    name = f"{uuid.uuid4().hex}.xlsx"
    upload.seek(0)
    with open(folder / name, "wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return name


def _page(request, form, **context):
    return render(
        request,
        "members/roster_import.html",
        {
            "form": form,
            "required_headers": REQUIRED_HEADERS,
            "all_headers": [c.header for c in ROSTER_COLUMNS],
            **context,
        },
    )


@login_required
@GET_POST
def roster_import(request):
    require_permission(request.user, "members.import_roster")
    if request.method != "POST":
        initial = {"term": request.GET["term"]} if request.GET.get("term") else {}
        form = RosterImportForm(user=request.user, initial=initial)
        return _page(request, form)

    if request.POST.get("term"):
        _term_for_import(request.user, request.POST["term"])
    form = RosterImportForm(request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        return _page(request, form)
    term, upload = form.cleaned_data["term"], form.cleaned_data["file"]
    preview = roster_import_preview(term=term, file=upload, by=request.user)
    token = None
    if preview.is_valid and preview.new + preview.updated:
        name = upload_store(upload)
        token = signing.dumps({"f": name, "t": term.pk, "u": request.user.pk}, salt=TOKEN_SALT)
    return _page(request, form, preview=preview, token=token)


@login_required
@require_POST
def roster_import_confirm(request):
    require_permission(request.user, "members.import_roster")
    try:
        data = signing.loads(request.POST.get("token", ""), salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        messages.error(request, _("导入确认已失效,请重新上传文件。"))
        return redirect("members:roster_import")
    if data.get("u") != request.user.pk or not STORED_NAME.match(data.get("f", "")):
        raise PermissionDenied
    term = _term_for_import(request.user, data.get("t"))
    path = imports_dir() / data["f"]
    if not path.exists():
        messages.error(request, _("该文件已导入或已过期,请重新上传。"))
        return redirect(reverse("members:roster_import") + f"?term={term.pk}")
    try:
        result = roster_import_apply(term=term, file=path, by=request.user)
    finally:
        path.unlink(missing_ok=True)
    if not result.applied:
        # The roster changed between the check and the confirm.
        form = RosterImportForm(user=request.user, initial={"term": term.pk})
        return _page(request, form, preview=result, token=None)
    messages.success(
        request,
        _("导入完成:新增 %(new)s 人,更新 %(updated)s 人,未变化 %(unchanged)s 人。")
        % {"new": result.new, "updated": result.updated, "unchanged": result.unchanged},
    )
    return redirect(reverse("members:list") + f"?term={term.pk}")


def _export_queryset(request, body_ids=None):
    queryset = Member.objects.visible_to(request.user)
    if body_ids is not None:
        queryset = queryset.filter(term__body_id__in=body_ids)
    if not request.GET.get("term"):
        queryset = queryset.filter(term__is_current=True)
    return member_filter(queryset, request.GET)


@login_required
@require_GET
def roster_export(request):
    """The full roster (phones, party, birth dates): office roles of the body only."""
    require_permission(request.user, "members.export_roster")
    body_ids = readable_body_ids(request.user)
    return roster_export_response(
        user=request.user,
        queryset=_export_queryset(request, body_ids),
        filters=member_filter_description(request.GET),
    )


@login_required
@require_GET
def directory_export(request):
    """Names, groups and workplaces of everyone visible; phones where allowed."""
    require_permission(request.user, "members.export_directory")
    return directory_export_response(
        user=request.user,
        queryset=_export_queryset(request),
        filters=member_filter_description(request.GET),
    )
