"""Staff pages of the history imports (导入历史数据): the index with a template
for each, then upload → check (nothing written) → confirm → result.

The checked file is kept as the roster import keeps it (members.roster_views:
under MEDIA_ROOT/imports/, behind a signed token naming the user, the import
and the body), so the confirm imports exactly what was checked. The work is
in each import's preview/apply functions (summaries.imports.registry)."""

import re
from urllib.parse import quote

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from members.forms import StyledFormMixin
from members.permissions import managed_body_ids, readable_body_ids, require_permission
from members.roster_views import imports_dir, upload_store
from sectors.models import Body
from summaries.imports import registry, template_workbook

# Form pages: shown on GET (and HEAD), saved on POST; any other method is refused.
GET_POST = require_http_methods(["GET", "HEAD", "POST"])

PERMISSION = "summaries.import_history"
TOKEN_SALT = "summaries.imports"
TOKEN_MAX_AGE = 60 * 60
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.xlsx$")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class HistoryImportForm(StyledFormMixin, forms.Form):
    body = forms.ModelChoiceField(label=gettext_lazy("导入到"), queryset=Body.objects.none())
    file = forms.FileField(
        label=gettext_lazy("Excel 文件"),
        help_text=gettext_lazy(".xlsx 文件;请按模板填写。"),
        widget=forms.ClearableFileInput(attrs={"accept": f".xlsx,{XLSX}"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        bodies = Body.objects.filter(pk__in=managed_body_ids(user)).order_by("pk")
        self.fields["body"].queryset = bodies
        if len(bodies) == 1:
            self.fields["body"].initial = bodies[0].pk


def _spec(slug):
    spec = registry().get(slug)
    if spec is None:
        raise Http404
    return spec


def _body_for_import(user, body_id) -> Body:
    """404 for a body the user may not see, 403 for one they may only read."""
    try:
        body = Body.objects.filter(pk=int(body_id)).first()
    except (TypeError, ValueError):
        body = None
    managed = managed_body_ids(user)
    if body is None or body.pk not in (readable_body_ids(user) | managed):
        raise Http404
    if body.pk not in managed:
        raise PermissionDenied
    return body


@login_required
@require_safe
def imports_index(request):
    require_permission(request.user, PERMISSION)
    return render(request, "summaries/imports/index.html", {"imports": registry().values()})


@login_required
@require_safe
def import_template(request, slug):
    require_permission(request.user, PERMISSION)
    spec = _spec(slug)
    response = HttpResponse(template_workbook(spec), content_type=XLSX)
    # An ASCII name for old browsers, the Chinese one (RFC 6266) for the rest.
    name = quote(f"{spec.title}模板.xlsx")
    response["Content-Disposition"] = (
        f"attachment; filename=\"template.xlsx\"; filename*=UTF-8''{name}"
    )
    return response


def _page(request, spec, form, **context):
    return render(request, "summaries/imports/page.html", {"spec": spec, "form": form, **context})


@login_required
@GET_POST
def import_page(request, slug):
    require_permission(request.user, PERMISSION)
    spec = _spec(slug)
    if request.method != "POST":
        return _page(request, spec, HistoryImportForm(user=request.user))
    if request.POST.get("body"):
        _body_for_import(request.user, request.POST["body"])
    form = HistoryImportForm(request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        return _page(request, spec, form)
    body, upload = form.cleaned_data["body"], form.cleaned_data["file"]
    preview = spec.preview(body=body, file=upload)
    token = None
    if preview.is_valid and preview.changes:
        name = upload_store(upload)
        token = signing.dumps(
            {"f": name, "b": body.pk, "u": request.user.pk, "s": spec.slug}, salt=TOKEN_SALT
        )
    return _page(request, spec, form, preview=preview, body=body, token=token)


@login_required
@require_POST
def import_confirm(request, slug):
    require_permission(request.user, PERMISSION)
    spec = _spec(slug)
    try:
        data = signing.loads(request.POST.get("token", ""), salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        messages.error(request, _("导入确认已失效,请重新上传文件。"))
        return redirect("summaries:import", slug=spec.slug)
    if (
        data.get("u") != request.user.pk
        or data.get("s") != spec.slug
        or not STORED_NAME.match(data.get("f", ""))
    ):
        raise PermissionDenied
    body = _body_for_import(request.user, data.get("b"))
    path = imports_dir() / data["f"]
    if not path.exists():
        messages.error(request, _("该文件已导入或已过期,请重新上传。"))
        return redirect("summaries:import", slug=spec.slug)
    try:
        result = spec.apply(body=body, file=path, by=request.user)
    finally:
        path.unlink(missing_ok=True)
    if not result.applied:
        # Something changed between the check and the confirm.
        form = HistoryImportForm(user=request.user, initial={"body": body.pk})
        return _page(request, spec, form, preview=result, body=body, token=None)
    return render(
        request, "summaries/imports/result.html", {"spec": spec, "result": result, "body": body}
    )
