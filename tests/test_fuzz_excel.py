"""Every Excel import, fuzzed through its real upload and confirm pages and
through the plain functions behind them (issue 8, point 8).

For every generated file: no server error; a refusal says why in Chinese;
checking a file writes nothing; a refused import writes nothing (every table
of our apps keeps its row count); an accepted import is complete (checking
the same file again finds nothing to change) and importing it again changes
nothing. Each example runs in a savepoint rolled back at its end, so every
example starts from the same world. The budget: tests/fuzz.py."""

import datetime
import io
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from duties.history_import import HEADERS as ACTIVITY_HEADERS
from duties.models import Activity
from duties.services import activity_kinds_ensure_defaults, activity_publish
from duties.sheet import sheet_import_apply, sheet_import_preview
from members.roster import roster_import_apply, roster_import_preview
from proposals.history_import import HEADERS as PROPOSAL_HEADERS
from proposals.tests import factories as pf
from reports.history_import import HEADERS as REPORT_HEADERS
from scoring import history_import as scores
from summaries.imports import registry
from tests import factories as f
from tests.fuzz import (
    PLAIN,
    Tally,
    assert_chinese,
    changed_tables,
    fuzz_settings,
    render_workbook,
    table_counts,
    uploads,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROSTER_HEADERS = [
    "委员编号",
    "姓名",
    "性别",
    "民族",
    "出生日期",
    "党派",
    "界别",
    "界别小组",
    "专门委员会",
    "常委",
    "工作单位及职务",
    "手机号码",
    "任职日期",
    "产生方式",
    "状态",
    "离任日期",
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def fuzz_world(world):
    """The world with what the imports' seed files name: activity kinds, a
    published past activity, the 2024 plenary session and handling units."""
    activity_kinds_ensure_defaults(body=world.body)
    f.PlenarySessionFactory(
        term=world.term, number=3, year=2024,
        starts_on=datetime.date(2024, 1, 6), ends_on=datetime.date(2024, 1, 9),
    )  # fmt: skip
    pf.HandlingUnitFactory(body=world.body, name="市住建局")
    pf.HandlingUnitFactory(body=world.body, name="市财政局")
    starts = datetime.datetime(2026, 5, 12, 1, 0, tzinfo=datetime.UTC)
    activity = f.ActivityFactory(
        term=world.term,
        status=Activity.Status.DRAFT,
        starts_at=starts,
        ends_at=starts + datetime.timedelta(hours=3),
        signup_deadline=None,
        created_by=world.staff,
    )
    world.activity = activity_publish(activity=activity, by=world.staff)
    # two members of one name: a sign-in sheet naming her needs staff to pick one
    for _ in range(2):
        f.MemberFactory(term=world.term, person=f.PersonFactory(name="李娜"), sector=world.sector)
    return world


# Each import: its seed file, its pages and its plain functions --------------------------


@dataclass
class Outcome:
    """A plain function's answer, the same for every import."""

    errors: list  # messages; empty when accepted
    changes: int  # rows new or updated


def _issues(report) -> list[str]:
    return [i.message for i in report.errors]


def _history_outcome(report) -> Outcome:
    return Outcome(_issues(report), report.new + report.updated if not report.errors else 0)


class Roster:
    name = "roster"

    def seed(self, w):
        def values(**row):
            return [row.get(h, "") for h in ROSTER_HEADERS]

        common = {"民族": "汉族", "党派": "民盟", "界别": "经济界", "界别小组": "经济界小组"}
        common |= {"常委": "否", "任职日期": "2022年1月10日", "产生方式": "换届产生"}
        common |= {"状态": "在任", "出生日期": "1975-03-08", "工作单位及职务": "江城银行 行长"}
        rows = [
            ROSTER_HEADERS,
            values(委员编号="1001", 姓名="王芳", 性别="女", 手机号码="13800001001", **common),
            values(委员编号="1002", 姓名="赵强", 性别="男", 手机号码="13800001002", **common),
        ]
        return [[("花名册", rows)]]

    def upload(self, client, w, file):
        return client.post(reverse("members:roster_import"), {"term": w.term.pk, "file": file})

    def confirm(self, client, w, token):
        response = client.post(reverse("members:roster_import_confirm"), {"token": token})
        return response, response.status_code == 302

    def preview(self, w, file):
        report = roster_import_preview(term=w.term, file=file, by=w.staff)
        return Outcome(_issues(report), report.new + report.updated)

    def apply(self, w, file):
        report = roster_import_apply(term=w.term, file=file, by=w.staff)
        return Outcome(_issues(report), report.new + report.updated if report.applied else 0)


class SignInSheet:
    name = "sign-in sheet"

    def seed(self, w):
        rows = [
            ("序号", "姓名", "手机号码", "签名"),
            (1, w.member.person.name, "", ""),
            (2, "", w.colleague.person.mobile, ""),
            (3, w.other_member.person.name, w.other_member.person.mobile, "已签"),
        ]
        # the second is refused at the confirm: no pick for the twin
        return [[("签到表", rows)], [("签到表", [*rows, (4, "李娜", "", "")])]]

    def upload(self, client, w, file):
        return client.post(reverse("duties:sheet_import", args=[w.activity.pk]), {"file": file})

    def confirm(self, client, w, token):
        url = reverse("duties:sheet_import_confirm", args=[w.activity.pk])
        response = client.post(url, {"token": token})
        if response.status_code == 200:
            assert_chinese(response.context["refusal"])
        return response, response.status_code == 302

    def preview(self, w, file):
        preview = sheet_import_preview(activity=w.activity, file=file)
        errors = _issues(preview)
        if not errors and preview.unknown:
            errors = [r.reason or "无法识别" for r in preview.unknown]
        return Outcome(errors, preview.to_mark if preview.can_confirm else 0)

    def apply(self, w, file):
        try:
            result = sheet_import_apply(activity=w.activity, file=file, picks={}, by=w.staff)
        except ValidationError as error:
            return Outcome(error.messages, 0)
        return Outcome([], result.marked)


class History:
    """One of the four history imports of summaries.imports."""

    def __init__(self, slug):
        self.name = self.slug = slug

    @property
    def spec(self):
        return registry()[self.slug]

    def seed(self, w):
        from duties.tests.test_history_import import line as activity_line
        from proposals.tests.test_history_import import row as proposal_row
        from reports.tests.test_history_import import row as report_row

        good = {
            "activities": [
                (
                    "2024年",
                    [
                        ACTIVITY_HEADERS,
                        activity_line(w.member),
                        activity_line(w.colleague, status="请假"),
                    ],
                ),
                ("2023年", [ACTIVITY_HEADERS, activity_line(w.other_member, day="2023-09-08")]),
            ],
            "proposals": [("2024年", [PROPOSAL_HEADERS, proposal_row(w)])],
            "reports": [("2024年", [REPORT_HEADERS, report_row(w.member)])],
            "honours": [
                (
                    "表彰",
                    [
                        ("姓名", "手机号码", "表彰名称", "级别", "表彰日期"),
                        (w.member.person.name, "", "优秀政协委员", "市级", "2024-01-10"),
                        (w.colleague.person.name, "", "先进个人", "省级", "2023年12月1日"),
                    ],
                )
            ],
        }[self.slug]
        return [good]

    def template_seed(self, client):
        """The page's own template, as downloaded: its example names people not there."""
        response = client.get(reverse("summaries:import_template", args=[self.slug]))
        book = load_workbook(io.BytesIO(response.content))
        return [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in book]

    def upload(self, client, w, file):
        url = reverse("summaries:import", args=[self.slug])
        return client.post(url, {"body": w.body.pk, "file": file})

    def confirm(self, client, w, token):
        response = client.post(
            reverse("summaries:import_confirm", args=[self.slug]), {"token": token}
        )
        applied = response.status_code == 200 and response.context["result"].applied
        return response, applied

    def preview(self, w, file):
        return _history_outcome(self.spec.preview(body=w.body, file=file))

    def apply(self, w, file):
        return _history_outcome(self.spec.apply(body=w.body, file=file, by=w.staff))


class PastScores:
    name = "past scores"

    def seed(self, w):
        rows = [
            ("年度", "委员编号", "姓名", "总分", "等次"),
            ("2024", w.member.number, w.member.person.name, "91.5", "优秀"),
            ("2024", w.colleague.number, w.colleague.person.name, 72, "合格"),
        ]
        return [[("考核结果", rows)]]

    def upload(self, client, w, file):
        return client.post(reverse("scoring:history_import"), {"term": w.term.pk, "file": file})

    def confirm(self, client, w, token):
        response = client.post(reverse("scoring:history_import_confirm"), {"token": token})
        return response, response.status_code == 302

    def preview(self, w, file):
        return _history_outcome(scores.history_import_preview(term=w.term, file=file))

    def apply(self, w, file):
        return _history_outcome(scores.history_import_apply(term=w.term, file=file, by=w.staff))


TARGETS = [
    Roster(),
    SignInSheet(),
    History("activities"),
    History("proposals"),
    History("reports"),
    History("honours"),
    PastScores(),
]


# The checks -------------------------------------------------------------------------------


def _page_errors(response) -> list:
    """The messages the upload page shows: the form's, else the preview's."""
    form = response.context["form"]
    if form.errors:
        return [m for messages in form.errors.values() for m in messages]
    preview = response.context.get("preview")
    return [i.message for i in preview.errors] if preview is not None else []


def check_upload(target, client, w, data: bytes, tally=lambda outcome: None):
    """Upload, check, confirm and import again, as staff and as the plain functions do."""
    with transaction.atomic():
        before = table_counts()

        # the page: checking writes nothing, a refusal says why in Chinese
        upload = SimpleUploadedFile("导入.xlsx", data, content_type=XLSX)
        response = target.upload(client, w, upload)
        assert response.status_code == 200
        assert changed_tables(before, table_counts()) == {}
        page_errors = _page_errors(response)
        if page_errors:
            assert_chinese(page_errors)
        token = response.context.get("token")

        # the plain check agrees with the page
        checked = target.preview(w, io.BytesIO(data))
        if checked.errors:
            assert_chinese(checked.errors)
        assert changed_tables(before, table_counts()) == {}

        tally("refused" if checked.errors else "nothing to change" if token is None else "checked")
        if token is None:
            # refused, or nothing to change: importing anyway writes nothing
            applied = target.apply(w, io.BytesIO(data))
            assert changed_tables(before, table_counts()) == {}
            assert applied.changes == 0
            if checked.errors:
                assert_chinese(applied.errors)
        else:
            assert not page_errors and not checked.errors and checked.changes
            response, done = target.confirm(client, w, token)
            assert response.status_code < 500
            tally("imported" if done else "refused at confirm")
            if done:
                after = table_counts()
                # complete: checking the same file again finds nothing to change
                again = target.preview(w, io.BytesIO(data))
                assert (again.errors, again.changes) == ([], 0)
                # idempotent: importing it again writes nothing
                repeat = target.apply(w, io.BytesIO(data))
                assert (repeat.errors, repeat.changes) == ([], 0)
                assert changed_tables(after, table_counts()) == {}
            else:
                assert changed_tables(before, table_counts()) == {}
        transaction.set_rollback(True)


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_fuzzed_workbooks_never_fail_or_half_write(target, fuzz_world, client):
    w = fuzz_world
    client.force_login(w.staff)
    seeds = target.seed(w)
    if isinstance(target, History):
        seeds.append(target.template_seed(client))

    # Built once: a seed's bytes differ from one save to the next (the time is in them).
    files = st.one_of(*(uploads(seed) for seed in seeds))

    tally = Tally(target.name)

    @fuzz_settings()
    @given(files)
    def run(data):
        check_upload(target, client, w, data, tally)

    run()
    tally.report()


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_each_seed_is_accepted_and_imported_whole(target, fuzz_world, client):
    """The fuzz starts from files that import: the accepted path is exercised."""
    w = fuzz_world
    client.force_login(w.staff)
    seed = target.seed(w)[0]
    data = render_workbook(seed, [PLAIN] * len(seed))
    checked = target.preview(w, io.BytesIO(data))
    assert checked.errors == [] and checked.changes > 0
    check_upload(target, client, w, data)
