"""The exports on the admin's changelists: the selected rows as the export
page writes them (summaries.exports: title, frozen header, number formats,
formula-safe text), scoped to the bodies the admin user reads, with the
export's permission code, logged. Like the roster's action (members/admin.py):
one formatted sheet for each thing, not a second, plainer export format."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from duties.models import Participation
from members.permissions import readable_body_ids, require_permission
from members.services import export_log_record
from scoring.models import Score
from summaries.exports import (
    ATTENDANCE_FIELDS,
    CHUNK,
    SCORE,
    attendance_columns,
    proposal_sheet,
    report_sheet,
)
from summaries.models import ExportJob
from summaries.xlsx import Column, SheetSpec, xlsx_response


def _respond(request, *, what: str, sheet: SheetSpec, note: str):
    response = xlsx_response(filename=f"{sheet.title}.xlsx", sheets=[sheet])
    export_log_record(user=request.user, what=what, rows=sheet.written, filters=f"admin: {note}")
    return response


@admin.action(description=gettext_lazy("导出所选提案(Excel)"))
def export_proposals(modeladmin, request, queryset):
    from proposals.selectors import proposals_listed

    require_permission(request.user, "summaries.export_proposals")
    scoped = proposals_listed(request.user).filter(
        pk__in=queryset.values("pk"), body_id__in=readable_body_ids(request.user)
    )
    sheet = proposal_sheet(queryset=scoped, title=_("提案一览"))
    return _respond(request, what="提案一览", sheet=sheet, note="selected")


@admin.action(description=gettext_lazy("导出所选社情民意信息(Excel)"))
def export_reports(modeladmin, request, queryset):
    from reports.selectors import report_list

    require_permission(request.user, "summaries.export_reports")
    scoped = report_list(user=request.user).filter(
        pk__in=queryset.values("pk"), body_id__in=readable_body_ids(request.user)
    )
    sheet = report_sheet(queryset=scoped, title=_("社情民意信息报送情况"))
    return _respond(request, what="社情民意信息", sheet=sheet, note="selected")


@admin.action(description=gettext_lazy("导出所选出席记录(Excel)"))
def export_participations(modeladmin, request, queryset):
    require_permission(request.user, "summaries.export_attendance")
    rows = (
        Participation.objects.filter(
            pk__in=queryset.values("pk"), activity__body_id__in=readable_body_ids(request.user)
        )
        .order_by("activity__starts_at", "activity_id", "member__number", "pk")
        .values(*ATTENDANCE_FIELDS)
    )
    sheet = SheetSpec(
        name=_("出席情况"),
        title=_("委员参加履职活动出席情况"),
        subtitle=_("导出时间:%(t)s") % {"t": f"{timezone.localtime():%Y年%m月%d日 %H:%M}"},
        columns=attendance_columns(),
        rows=rows.iterator(chunk_size=CHUNK),
    )
    return _respond(request, what="出席情况", sheet=sheet, note="selected")


SCORE_COLUMNS = [
    Column(_("政协"), 16, "period__body__name"),
    Column(_("年度"), 6, "period__year"),
    Column(_("季度"), 6, lambda s: s["period__quarter"] or _("全年")),
    Column(_("委员编号"), 10, "member__number"),
    Column(_("姓名"), 10, "member__person__name"),
    Column(_("界别"), 14, "member__sector__name"),
    Column(_("界别小组"), 14, lambda s: s["member__group__name"] or ""),
    Column(_("总分"), 10, "total", SCORE),
    Column(_("等次"), 10, "grade"),
    Column(_("参加考核"), 8, lambda s: _("是") if s["assessed"] else _("否")),
]


@admin.action(description=gettext_lazy("导出所选得分(Excel)"))
def export_scores(modeladmin, request, queryset):
    require_permission(request.user, "summaries.export_scores")
    rows = (
        Score.objects.filter(
            pk__in=queryset.values("pk"), period__body_id__in=readable_body_ids(request.user)
        )
        .order_by("period__body_id", "period__year", "period__quarter", "-total", "member__number")
        .values(
            "period__body__name",
            "period__year",
            "period__quarter",
            "member__number",
            "member__person__name",
            "member__sector__name",
            "member__group__name",
            "total",
            "grade",
            "assessed",
        )
    )
    sheet = SheetSpec(
        name=_("得分"),
        title=_("委员履职得分"),
        subtitle=_("导出时间:%(t)s") % {"t": f"{timezone.localtime():%Y年%m月%d日 %H:%M}"},
        columns=SCORE_COLUMNS,
        rows=rows.iterator(chunk_size=CHUNK),
    )
    return _respond(request, what="履职得分", sheet=sheet, note="selected")


class ReadOnly(admin.ModelAdmin):
    """Changed only through their services: the admin lists and exports."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Score)
class ScoreAdmin(ReadOnly):
    list_display = ("member", "period", "total", "grade", "assessed")
    list_filter = ("period__body", "period__year", "period__quarter", "grade")
    search_fields = ("member__person__name", "member__number")
    list_select_related = ("member__person", "period__body")
    actions = [export_scores]


@admin.register(Participation)
class ParticipationAdmin(ReadOnly):
    list_display = ("member", "activity", "signup", "attendance", "checked_in_at")
    list_filter = ("activity__body", "attendance", "signup")
    search_fields = ("member__person__name", "activity__theme")
    list_select_related = ("member__person", "activity")
    raw_id_fields = ("member", "activity")
    actions = [export_participations]


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnly):
    list_display = ("label", "requested_by", "status", "done", "total", "created_at", "expires_at")
    list_filter = ("status", "kind")
    search_fields = ("requested_by__username", "label")
