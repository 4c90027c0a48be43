"""Members' honours (表彰) of earlier years imported from Excel.

One row per honour: 姓名, 手机号码 (to tell apart two members of one name),
表彰名称, 级别 (国家级/省级/市级/县级), 表彰日期. Any sheet with the header row
is read. The person is found among the body's members of any term. The
natural key is (person, year, title), held by a database constraint: the same
honour imported again changes nothing, a corrected level or date updates it.
Honours give duty facts on every seat of the person, refreshed once per import."""

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.models import Honour, Member
from members.roster import ChineseDateWidget, ChoiceWidget, MobileWidget
from scoring.facts import facts_changed
from sectors.models import Body
from summaries.imports import (
    NEW,
    UNCHANGED,
    UPDATE,
    HistoryImport,
    ImportFileError,
    ImportReport,
    PreviewRow,
    duplicates,
    read_workbook,
)

NAME = "姓名"
MOBILE = "手机号码"
TITLE = "表彰名称"
LEVEL = "级别"
DATE = "表彰日期"
HEADERS = (NAME, MOBILE, TITLE, LEVEL, DATE)
REQUIRED = (NAME, TITLE, LEVEL, DATE)
PREVIEW_COLUMNS = (NAME, TITLE, LEVEL, DATE)


def _spaceless(text: str) -> str:
    return "".join(text.split())


def _plan(body: Body, file):
    report = ImportReport(columns=list(PREVIEW_COLUMNS))
    try:
        lines = read_workbook(file, headers=HEADERS, required=REQUIRED, key_headers=(NAME, TITLE))
    except ImportFileError as e:
        return report.fail(e.issues), []
    by_name, by_mobile = {}, {}
    for member in Member.objects.filter(term__body=body).select_related("person"):
        person = member.person
        by_name.setdefault(_spaceless(person.name), {})[person.pk] = person
        if person.mobile:
            by_mobile[person.mobile] = person
    levels = ChoiceWidget(Honour.Level.choices)
    dates = ChineseDateWidget(required=True)
    mobiles = MobileWidget()
    errors, wanted = [], []
    for line in lines:
        issues = []
        name = _spaceless(line.text(NAME))
        person = None
        try:
            mobile = mobiles.clean(line.cells.get(MOBILE))
        except ValueError as e:
            issues.append(line.issue(MOBILE, str(e)))
            mobile = None
        if not name:
            issues.append(line.issue(NAME, _("不能为空")))
        elif mobile:
            person = by_mobile.get(mobile)
            if person is None:
                issues.append(
                    line.issue(MOBILE, _("手机号码“%(m)s”不是本会委员的号码") % {"m": mobile})
                )
            elif _spaceless(person.name) != name:
                issues.append(
                    line.issue(
                        NAME,
                        _("手机号码“%(m)s”是“%(registered)s”的,与本行姓名“%(name)s”不一致")
                        % {"m": mobile, "registered": person.name, "name": name[:50]},
                    )
                )
        elif mobile is not None:
            found = list(by_name.get(name, {}).values())
            if not found:
                issues.append(
                    line.issue(NAME, _("本会委员中没有名为“%(name)s”的委员") % {"name": name[:50]})
                )
            elif len(found) > 1:
                issues.append(
                    line.issue(
                        NAME,
                        _("本会有 %(n)s 位名为“%(name)s”的委员,请填写手机号码以区分")
                        % {"n": len(found), "name": name},
                    )
                )
            else:
                person = found[0]
        title = line.text(TITLE)
        if not title:
            issues.append(line.issue(TITLE, _("不能为空")))
        elif len(title) > 200:
            issues.append(line.issue(TITLE, _("不能超过%(n)s个字") % {"n": 200}))
        try:
            level = levels.clean(line.cells.get(LEVEL))
        except ValueError as e:
            issues.append(line.issue(LEVEL, str(e)))
        try:
            day = dates.clean(line.cells.get(DATE))
        except ValueError as e:
            issues.append(line.issue(DATE, str(e)))
        if issues:
            errors.extend(issues)
            continue
        wanted.append((line, person, title, level, day))
    twice = duplicates((line, (p.pk, d.year, t)) for line, p, t, _lv, d in wanted)
    for line, others in twice.items():
        errors.append(
            line.issue(
                TITLE, _("同一委员同一年度的同名表彰在文件中重复(另见%(rows)s)") % {"rows": others}
            )
        )
    if errors:
        return report.fail(errors), []
    existing = {
        (h.person_id, h.awarded_on.year, h.title): h
        for h in Honour.objects.filter(
            person_id__in={w[1].pk for w in wanted}, title__in={w[2] for w in wanted}
        )
    }
    plan = []
    for line, person, title, level, day in wanted:
        before = existing.get((person.pk, day.year, title))
        if before is None:
            kind = NEW
        elif (before.level, before.awarded_on) == (level, day):
            kind = UNCHANGED
        else:
            kind = UPDATE
        plan.append((kind, before, person, title, level, day))
        report.rows.append(
            PreviewRow(
                line.sheet,
                line.row,
                kind,
                [person.name, title, Honour.Level(level).label, day.isoformat()],
            )
        )
    return report, plan


def honours_history_preview(*, body: Body, file) -> ImportReport:
    """What importing the file would do, row by row, or every problem. Writes nothing."""
    return _plan(body, file)[0]


@transaction.atomic
def honours_history_apply(*, body: Body, file, by) -> ImportReport:
    """Import the file: every row or none; the same file again changes nothing."""
    list(Body.objects.select_for_update(no_key=True).filter(pk=body.pk))
    report, plan = _plan(body, file)
    if report.errors:
        return report
    created = [
        Honour(person=p, title=t, level=lv, awarded_on=d) for k, _b, p, t, lv, d in plan if k == NEW
    ]
    updated = []
    for kind, before, _p, _t, level, day in plan:
        if kind == UPDATE:
            before.level, before.awarded_on = level, day
            updated.append(before)
    Honour.objects.bulk_create(created)
    Honour.objects.bulk_update(updated, ["level", "awarded_on"])
    people = {h.person_id for h in created} | {h.person_id for h in updated}
    facts_changed(Member.objects.filter(person_id__in=people).values_list("pk", flat=True))
    report.applied = True
    report.created = [_("新增表彰 %(n)s 项,更新 %(m)s 项") % {"n": len(created), "m": len(updated)}]
    return report


IMPORT = HistoryImport(
    slug="honours",
    title=gettext_lazy("委员表彰"),
    description=gettext_lazy("委员获得的表彰:每行一项。"),
    headers=HEADERS,
    required=REQUIRED,
    notes=(
        gettext_lazy("每行一位委员的一项表彰;级别填国家级、省级、市级或县级。"),
        gettext_lazy("委员在本会各届名册中按姓名查找;有同名委员时须填手机号码。"),
        gettext_lazy(
            "同一委员同一年度的同名表彰只记一项:重复导入不会改动,级别或日期改过的会更新。"
        ),
        gettext_lazy("请勿使用公式,直接填写内容。"),
    ),
    example={"表彰": [("王建国", "13800000001", "优秀政协委员", "市级", "2024-01-10")]},
    preview=honours_history_preview,
    apply=honours_history_apply,
)
