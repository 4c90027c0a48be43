"""Pages of the year: the annual assessment (年度考核) and sector groups for
staff and leadership, the import of earlier years' results, members' duty
reports (述职), the checklists (六个一) for members and the committee's
compliance, checklist reminders, and the what-if (试算).

The body's staff manage and its leadership reads; everyone else learns
nothing (404 on a body's pages, 403 on office pages without a body). The
work is in scoring.annual, scoring.checklists, scoring.history_import and
scoring.whatif."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from config import uploads
from members.forms import errors_to_form, refusal_messages
from members.permissions import viewer_for
from members.roster_views import imports_dir, upload_store
from scoring import annual, checklists, history_import, whatif
from scoring import annual_selectors as selectors
from scoring.annual_forms import (
    ChecklistReminderForm,
    DutyReportForm,
    HistoryImportForm,
    WhatIfForm,
)
from scoring.models import ChecklistReminder, ScorePeriod
from sectors.models import Body, Term

# Form pages: shown on GET (and HEAD), saved on POST; any other method is refused.
GET_POST = require_http_methods(["GET", "HEAD", "POST"])

TOKEN_SALT = "scoring.history_import"
TOKEN_MAX_AGE = 60 * 60
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.xlsx$")


# Access ----------------------------------------------------------------------------


def _body_for_user(user, pk, *, write: bool = False) -> Body:
    """The body if the user reads its results (else 404); with write, only if
    the user manages it (else 403)."""
    viewer = viewer_for(user)
    if not viewer.can_read_body(pk):
        raise Http404
    body = Body.objects.filter(pk=pk).first()
    if body is None:
        raise Http404
    if write and not viewer.can_manage_body(body.pk):
        raise PermissionDenied
    return body


def _office(user):
    viewer = viewer_for(user)
    if not (viewer.is_staff_anywhere or viewer.is_leadership):
        raise PermissionDenied
    return viewer


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _year(value, default: int) -> int:
    year = _int(value, default)
    return year if 1949 <= year <= 2100 else default


def _switcher(viewer, body, year: int, years=()):
    """What the body and year switch of every office page of the year needs."""
    this_year = timezone.localdate().year
    return {
        "body": body,
        "year": year,
        "bodies": list(selectors.bodies_readable(viewer).only("pk", "name")),
        "years": sorted({*years, this_year, this_year - 1, year}, reverse=True),
        "can_manage": viewer.can_manage_body(body.pk),
    }


def _default(request, viewer, target: str):
    """To the page of the body asked for (or the first one the user manages,
    else reads) and its latest year with results (or this year)."""
    wanted = _int(request.GET.get("body"))
    if wanted is not None:
        body = _body_for_user(request.user, wanted)
    else:
        bodies = selectors.bodies_readable(viewer).only("pk")
        body = bodies.filter(pk__in=viewer.staff_body_ids).first() or bodies.first()
    if body is None:
        return render(request, "scoring/annual/no_body.html")
    this_year = timezone.localdate().year
    years = selectors.annual_years(body_id=body.pk)
    year = _year(request.GET.get("year"), years[0] if years else this_year)
    return redirect(target, body_pk=body.pk, year=year)


# The annual assessment -------------------------------------------------------------


@login_required
@require_safe
def annual_index(request):
    return _default(request, _office(request.user), "scoring:annual")


@login_required
@require_safe
def annual_page(request, body_pk, year):
    body = _body_for_user(request.user, body_pk)
    viewer = viewer_for(request.user)
    period = selectors.annual_period(body_id=body.pk, year=year)
    assessment = past = None
    if period is not None and period.computed_at is not None:
        assessment = annual.assessment_read(period=period)
        reports = selectors.duty_reports_of(
            member_ids=[s.member_id for s in assessment.scores], year=year
        )
        for score in assessment.scores:
            score.duty_report = reports.get(score.member_id)
    else:
        past = list(selectors.past_result_rows(body_id=body.pk, year=year))
    return render(
        request,
        "scoring/annual/assessment.html",
        {
            **_switcher(viewer, body, year, selectors.annual_years(body_id=body.pk)),
            "period": period,
            "assessment": assessment,
            "past": past,
            "tab": "members",
        },
    )


@login_required
@require_safe
def annual_groups(request, body_pk, year):
    body = _body_for_user(request.user, body_pk)
    viewer = viewer_for(request.user)
    period = selectors.annual_period(body_id=body.pk, year=year)
    rows, how, rule = ([], "", "")
    if period is not None and period.computed_at is not None:
        rows, how, rule = annual.sector_groups_read(period=period)
    return render(
        request,
        "scoring/annual/groups.html",
        {
            **_switcher(viewer, body, year),
            "period": period,
            "rows": rows,
            "how": how,
            "rule": rule,
            "tab": "groups",
        },
    )


# Importing earlier years' results ------------------------------------------------


def _history_page(request, form, **context):
    return render(
        request,
        "scoring/annual/history_import.html",
        {
            "form": form,
            "required_headers": history_import.REQUIRED_HEADERS,
            "all_headers": history_import.HEADERS,
            **context,
        },
    )


def _managed_body_ids(viewer):
    return set(selectors.bodies_managed(viewer).values_list("pk", flat=True))


def _term_for_import(user, term_id) -> Term:
    """404 for a term the user may not see, 403 for one they may only read."""
    viewer = viewer_for(user)
    term = Term.objects.select_related("body").filter(pk=_int(term_id, 0)).first()
    if term is None or not viewer.can_read_body(term.body_id):
        raise Http404
    if not viewer.can_manage_body(term.body_id):
        raise PermissionDenied
    return term


@login_required
@GET_POST
def history_import_page(request):
    viewer = viewer_for(request.user)
    if not viewer.is_staff_anywhere:
        raise PermissionDenied
    body_ids = _managed_body_ids(viewer)
    if request.method != "POST":
        return _history_page(request, HistoryImportForm(body_ids=body_ids))
    if request.POST.get("term"):
        _term_for_import(request.user, request.POST["term"])
    form = HistoryImportForm(request.POST, request.FILES, body_ids=body_ids)
    if not form.is_valid():
        return _history_page(request, form)
    term, upload = form.cleaned_data["term"], form.cleaned_data["file"]
    preview = history_import.history_import_preview(term=term, file=upload)
    token = None
    if preview.is_valid and preview.changed_rows:
        name = upload_store(upload)
        token = signing.dumps({"f": name, "t": term.pk, "u": request.user.pk}, salt=TOKEN_SALT)
    return _history_page(request, form, preview=preview, token=token)


@login_required
@require_POST
def history_import_confirm(request):
    viewer = viewer_for(request.user)
    if not viewer.is_staff_anywhere:
        raise PermissionDenied
    try:
        data = signing.loads(request.POST.get("token", ""), salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        messages.error(request, _("导入确认已失效,请重新上传文件。"))
        return redirect("scoring:history_import")
    if data.get("u") != request.user.pk or not STORED_NAME.match(data.get("f", "")):
        raise PermissionDenied
    term = _term_for_import(request.user, data.get("t"))
    path = imports_dir() / data["f"]
    if not path.exists():
        messages.error(request, _("该文件已导入或已过期,请重新上传。"))
        return redirect("scoring:history_import")
    try:
        result = history_import.history_import_apply(term=term, file=path, by=request.user)
    finally:
        path.unlink(missing_ok=True)
    if not result.applied:
        # Something changed between the check and the confirm.
        form = HistoryImportForm(body_ids=_managed_body_ids(viewer), initial={"term": term.pk})
        return _history_page(request, form, preview=result, token=None)
    messages.success(
        request,
        _("导入完成:新增 %(new)s 条,更新 %(updated)s 条,未变化 %(unchanged)s 条。")
        % {"new": result.new, "updated": result.updated, "unchanged": result.unchanged},
    )
    year = result.years[-1] if result.years else timezone.localdate().year - 1
    return redirect("scoring:annual", body_pk=term.body_id, year=year)


# Duty reports (述职) -------------------------------------------------------------


def _seat(request, viewer):
    seats = list(selectors.own_seats(viewer))
    if not seats:
        raise Http404
    wanted = _int(request.GET.get("seat"))
    seat = next((s for s in seats if s.pk == wanted), seats[0])
    return seat, seats


@login_required
@GET_POST
def my_duty_report(request):
    viewer = viewer_for(request.user)
    seat, seats = _seat(request, viewer)
    this_year = timezone.localdate().year
    year = _year(request.GET.get("year"), this_year)
    if year not in (this_year, this_year - 1):
        year = this_year
    report = selectors.duty_report_of(member_id=seat.pk, year=year)
    period = selectors.annual_period(body_id=seat.term.body_id, year=year)
    final = period is not None and period.status == ScorePeriod.Status.FINAL
    form = DutyReportForm(
        request.POST or None,
        request.FILES or None,
        initial={"text": report.text if report else ""},
    )
    if request.method == "POST" and not final and form.is_valid():
        data = form.cleaned_data
        try:
            annual.duty_report_save(
                member=seat,
                year=year,
                text=data["text"],
                file=data["file"],
                remove_file=data["remove_file"],
                by=request.user,
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("%(year)s 年度述职报告已保存") % {"year": year})
            return redirect(reverse("scoring:my_duty_report") + f"?seat={seat.pk}&year={year}")
    elif request.method == "POST" and final:
        messages.error(request, _("%(year)s 年度考核已定稿,述职报告不能再修改") % {"year": year})
    return render(
        request,
        "scoring/annual/duty_report_form.html",
        {
            "form": form,
            "seat": seat,
            "seats": seats,
            "year": year,
            "years": [this_year, this_year - 1],
            "report": report,
            "final": final,
        },
    )


@login_required
@require_safe
def duty_report_detail(request, pk):
    report = selectors.duty_report_for_user(viewer_for(request.user), pk)
    if report is None:
        raise Http404
    return render(request, "scoring/annual/duty_report_detail.html", {"report": report})


@login_required
@require_safe
def duty_report_file(request, pk):
    """Reports are served only through here, to those who may read them."""
    report = selectors.duty_report_for_user(viewer_for(request.user), pk)
    if report is None or not report.file:
        raise Http404
    try:
        handle = report.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return uploads.private_file_response(
        handle,
        content_type=report.content_type,
        filename=report.file_name or "述职报告",
        inline=False,
        max_age=300,
    )


# Checklists (六个一) -------------------------------------------------------------


@login_required
@require_safe
def my_checklist(request):
    viewer = viewer_for(request.user)
    seat, seats = _seat(request, viewer)
    this_year = timezone.localdate().year
    year = _year(request.GET.get("year"), this_year)
    score = selectors.member_annual_scores(member_ids=[seat.pk], year=year).get(seat.pk)
    views = checklists.member_checklists(score) if score is not None else []
    return render(
        request,
        "scoring/annual/my_checklist.html",
        {
            "seat": seat,
            "seats": seats,
            "year": year,
            "years": [this_year, this_year - 1],
            "score": score,
            "checklists": views,
        },
    )


@login_required
@require_safe
def checklists_index(request):
    return _default(request, _office(request.user), "scoring:checklists")


@login_required
@require_safe
def checklists_page(request, body_pk, year):
    body = _body_for_user(request.user, body_pk)
    viewer = viewer_for(request.user)
    period = selectors.annual_period(body_id=body.pk, year=year)
    table = None
    available = []
    code = request.GET.get("checklist", "")
    item = request.GET.get("item", "")
    sector_id = _int(request.GET.get("sector"))
    group_id = _int(request.GET.get("group"))
    sectors, groups = [], []
    if period is not None and period.computed_at is not None and period.rulebook_id:
        available = list(period.rulebook.parsed().checklists)
        chosen = next((c for c in available if c.code == code), available[0] if available else None)
        if chosen is not None:
            scores = list(selectors.period_scores(period=period, assessed_only=True))
            table = checklists.compliance(
                scores, chosen, item=item, sector_id=sector_id, group_id=group_id
            )
            sectors = list(selectors.sectors_of_term(term_id=period.rulebook.term_id))
            groups = list(selectors.sector_groups_of_term(term_id=period.rulebook.term_id))
    return render(
        request,
        "scoring/annual/checklists.html",
        {
            **_switcher(viewer, body, year),
            "period": period,
            "table": table,
            "available": available,
            "filters": {"item": item, "sector": sector_id, "group": group_id},
            "sectors": sectors,
            "groups": groups,
            "tab": "checklists",
        },
    )


@login_required
@GET_POST
def checklist_reminders(request, body_pk, year):
    body = _body_for_user(request.user, body_pk, write=True)
    viewer = viewer_for(request.user)
    rulebook = selectors.rulebook_of_year(body_id=body.pk, year=year)
    available = list(rulebook.parsed().checklists) if rulebook else []
    form = ChecklistReminderForm(request.POST or None, checklists=available)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            annual.checklist_reminder_set(
                body=body,
                year=year,
                checklist_code=data["checklist_code"],
                on=data["on"],
                message=data["message"],
                by=request.user,
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(
                request,
                _("已设置:%(on)s 提醒尚未完成的委员") % {"on": data["on"].strftime("%Y年%m月%d日")},
            )
            return redirect("scoring:checklist_reminders", body_pk=body.pk, year=year)
    names = {c.code: c.name for c in available}
    reminders = list(selectors.checklist_reminders_of(body_id=body.pk, year=year))
    for reminder in reminders:
        reminder.checklist_name = names.get(reminder.checklist_code, reminder.checklist_code)
    return render(
        request,
        "scoring/annual/reminders.html",
        {
            **_switcher(viewer, body, year),
            "form": form,
            "reminders": reminders,
            "has_checklists": bool(available),
            "tab": "reminders",
        },
    )


@login_required
@require_POST
def checklist_reminder_delete(request, pk):
    reminder = ChecklistReminder.objects.filter(pk=pk).first()
    if reminder is None:
        raise Http404
    _body_for_user(request.user, reminder.body_id, write=True)
    try:
        annual.checklist_reminder_delete(reminder=reminder, by=request.user)
    except ValidationError as error:
        refusal_messages(request, error)
    else:
        messages.success(request, _("提醒已删除"))
    return redirect("scoring:checklist_reminders", body_pk=reminder.body_id, year=reminder.year)


# What-if (试算) ------------------------------------------------------------------


@login_required
@require_safe
def whatif_page(request):
    viewer = viewer_for(request.user)
    if not viewer.is_staff_anywhere:
        raise PermissionDenied
    rulebooks = selectors.rulebooks_for_whatif(viewer)
    wanted = _int(request.GET.get("rulebook"))
    if wanted is not None and not rulebooks.filter(pk=wanted).exists():
        # Another body's rulebook: as if it did not exist.
        raise Http404
    form = WhatIfForm(request.GET if "rulebook" in request.GET else None, rulebooks=rulebooks)
    result = None
    sort = request.GET.get("sort", "after")
    descending = request.GET.get("dir", "desc") != "asc"
    if form.is_bound and form.is_valid():
        rulebook = form.cleaned_data["rulebook"]
        year = form.cleaned_data["year"] or rulebook.year - 1
        try:
            result = whatif.whatif_evaluate(rulebook=rulebook, year=year)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            if sort in whatif.SORTS:
                result.rows = whatif.sort_rows(result.rows, sort, descending=descending)
    query = request.GET.copy()
    for key in ("sort", "dir"):
        query.pop(key, None)
    return render(
        request,
        "scoring/annual/whatif.html",
        {
            "form": form,
            "result": result,
            "sort": sort,
            "descending": descending,
            "query": query.urlencode(),
            "columns": [
                ("name", _("姓名"), ""),
                ("number", _("委员编号"), "hide-phone"),
                ("before", _("现在"), ""),
                ("after", _("试算"), ""),
                ("change", _("变化"), ""),
            ],
        },
    )
