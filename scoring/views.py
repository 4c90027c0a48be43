"""Staff pages for rulebooks (计分规则): the versions of every body and year,
one version's text and summary, loading a new one, editing and publishing.
The body's staff manage, its leadership reads; everyone else learns nothing
(404 on a rulebook, 403 on the office pages). The work is scoring.services':
it validates the whole file, numbers the versions and never changes a
published one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from members.forms import errors_to_form, refusal_messages
from members.permissions import viewer_for
from scoring import services
from scoring.annual_selectors import bodies_managed
from scoring.forms import RulebookCreateForm, RulebookTextForm
from scoring.models import Rulebook
from scoring.rulebook import RulebookInvalid

# Form pages: shown on GET (and HEAD), saved on POST; any other method is refused.
GET_POST = require_http_methods(["GET", "HEAD", "POST"])

S = Rulebook.Status


# Access --------------------------------------------------------------------------


def _rulebook_for_user(user, pk, *, write: bool = False) -> Rulebook:
    """The version if the user reads its body (else 404); with write, only if
    the user manages the body (else 403)."""
    rulebook = (
        Rulebook.objects.select_related("body", "term", "created_by__person").filter(pk=pk).first()
    )
    viewer = viewer_for(user)
    if rulebook is None or not viewer.can_read_body(rulebook.body_id):
        raise Http404
    if write and not viewer.can_manage_body(rulebook.body_id):
        raise PermissionDenied
    return rulebook


# Pages ---------------------------------------------------------------------------


@login_required
@require_safe
def rulebook_list(request):
    viewer = viewer_for(request.user)
    if not (viewer.is_staff_anywhere or viewer.is_leadership):
        raise PermissionDenied
    rulebooks = Rulebook.objects.select_related("body", "created_by__person").order_by(
        "body__name", "body_id", "-year", "-version"
    )
    if not viewer.is_admin:
        rulebooks = rulebooks.filter(body_id__in=viewer.staff_body_ids | viewer.leadership_body_ids)
    rulebooks = list(rulebooks)
    for rulebook in rulebooks:
        rulebook.manageable = viewer.can_manage_body(rulebook.body_id)
    return render(
        request,
        "scoring/rulebooks.html",
        {"rulebooks": rulebooks, "can_create": viewer.is_staff_anywhere},
    )


def _summary(rulebook: Rulebook):
    try:
        return rulebook.parsed()
    except RulebookInvalid:  # a text stored before a stricter parser: show the text alone
        return None


@login_required
@require_safe
def rulebook_detail(request, pk):
    rulebook = _rulebook_for_user(request.user, pk)
    versions = Rulebook.objects.of(rulebook.body_id, rulebook.year).order_by("-version")
    return render(
        request,
        "scoring/rulebook_detail.html",
        {
            "rulebook": rulebook,
            "parsed": _summary(rulebook),
            "versions": versions.only("pk", "version", "status", "body_id", "year"),
            "can_manage": viewer_for(request.user).can_manage_body(rulebook.body_id),
        },
    )


@login_required
@require_safe
def rulebook_download(request, pk):
    rulebook = _rulebook_for_user(request.user, pk)
    is_json = rulebook.source.lstrip()[:1] in ("{", "[")
    name = _("计分规则-%(body)s-%(year)s-第%(version)s版") % {
        "body": rulebook.body.short_name or rulebook.body.name,
        "year": rulebook.year,
        "version": rulebook.version,
    }
    response = HttpResponse(
        rulebook.source,
        content_type=f"{'application/json' if is_json else 'application/yaml'}; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(
        True, f"{name}.{'json' if is_json else 'yaml'}"
    )
    return response


@login_required
@GET_POST
def rulebook_create(request):
    viewer = viewer_for(request.user)
    if not viewer.is_staff_anywhere:
        raise PermissionDenied
    bodies = bodies_managed(viewer)
    form = RulebookCreateForm(request.POST or None, request.FILES or None, bodies=bodies)
    if request.method == "GET" and len(viewer.staff_body_ids) == 1 and not viewer.is_admin:
        form.fields["body"].initial = next(iter(viewer.staff_body_ids))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        body, year = data["body"], data["year"]
        latest = Rulebook.objects.of(body.pk, year).order_by("-version").first()
        try:
            rulebook = services.rulebook_load(
                body=body, year=year, text=data["source"], by=request.user, publish=data["publish"]
            )
        except ValidationError as error:
            errors_to_form(form, error, rest="text")
        else:
            values = {"version": rulebook.version, "status": rulebook.get_status_display()}
            if latest is not None and rulebook.pk == latest.pk:
                messages.info(
                    request, _("与第 %(version)s 版相同,没有生成新版本(%(status)s)") % values
                )
            else:
                messages.success(request, _("已导入第 %(version)s 版(%(status)s)") % values)
            return redirect("scoring:rulebook_detail", pk=rulebook.pk)
    return render(request, "scoring/rulebook_form.html", {"form": form, "rulebook": None})


@login_required
@GET_POST
def rulebook_edit(request, pk):
    rulebook = _rulebook_for_user(request.user, pk, write=True)
    form = RulebookTextForm(
        request.POST or None, request.FILES or None, initial={"text": rulebook.source}
    )
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["source"]
        if text == rulebook.source:
            messages.info(request, _("规则没有改动,未保存"))
            return redirect("scoring:rulebook_detail", pk=pk)
        try:
            saved = services.rulebook_edit(rulebook=rulebook, text=text, by=request.user)
        except ValidationError as error:
            errors_to_form(form, error, rest="text")
        else:
            if saved.pk == rulebook.pk:
                messages.success(
                    request, _("第 %(version)s 版(草稿)已保存") % {"version": saved.version}
                )
            else:
                messages.success(
                    request,
                    _("第 %(old)s 版%(status)s,不能改动:修改已另存为第 %(new)s 版(草稿),发布后生效")
                    % {
                        "old": rulebook.version,
                        "status": rulebook.get_status_display(),
                        "new": saved.version,
                    },
                )
            return redirect("scoring:rulebook_detail", pk=saved.pk)
    return render(request, "scoring/rulebook_form.html", {"form": form, "rulebook": rulebook})


@login_required
@require_POST
def rulebook_publish(request, pk):
    rulebook = _rulebook_for_user(request.user, pk, write=True)
    if rulebook.status == S.PUBLISHED:
        messages.info(request, _("第 %(version)s 版已在施行") % {"version": rulebook.version})
        return redirect("scoring:rulebook_detail", pk=pk)
    try:
        services.rulebook_publish(rulebook=rulebook, by=request.user)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(
            request,
            _("第 %(version)s 版已发布,%(year)s 年度按此版计分")
            % {"version": rulebook.version, "year": rulebook.year},
        )
    return redirect("scoring:rulebook_detail", pk=pk)
