"""The history import of 5,000 attendance rows (duties.history_import), against a
plain bulk_create of the same Participation rows in the same run.

Everything runs inside transactions that are rolled back, so the bench
database is left as it was; the facts refresh, which the import sends after
commit, is timed apart (scoring.facts.facts_refresh of the members it names)."""

import datetime
import io
import time

from bench.table import Row

ROWS = 5000
PER_ACTIVITY = 50


def _workbook(term, kind, rows: int) -> tuple[bytes, list]:
    from django.utils import timezone
    from openpyxl import Workbook

    from duties.history_import import HEADERS

    members = list(
        term.members.select_related("person")
        .exclude(person__mobile="")
        .order_by("number")[: PER_ACTIVITY * 4]
    )
    last = min(timezone.localdate() - datetime.timedelta(days=1), term.ends_on or datetime.date.max)
    first = max(term.starts_on, last - datetime.timedelta(days=700))
    span = (last - first).days or 1
    wb = Workbook(write_only=True)
    sheets = {}
    plan = []
    for i in range(rows):
        activity = i // PER_ACTIVITY
        member = members[(activity * 7 + i) % len(members)]
        day = first + datetime.timedelta(days=(activity * 37) % span)
        sheet = sheets.get(day.year)
        if sheet is None:
            sheet = sheets[day.year] = wb.create_sheet(f"{day.year}年")
            sheet.append(list(HEADERS))
        status = ("出席", "出席", "请假", "缺席")[i % 4]
        title = f"基准导入活动{activity}"
        sheet.append([title, kind.name, day.isoformat(), "机关", "会议室", member.person.name,
                      member.person.mobile, status])  # fmt: skip
        plan.append((title, day, member.pk, status))
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue(), plan


def bench_imports(scale: str) -> list[Row]:
    from django.conf import settings
    from django.db import connection, reset_queries, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench.generator import generate
    from bench.run import _biggest_current_term, _staff_user
    from duties.history_import import STARTS, activities_history_apply, activities_history_preview
    from duties.models import Activity, ActivityKind, Participation
    from scoring.facts import facts_refresh

    summary = generate(scale)  # already built by bench.run: returns at once
    term = _biggest_current_term(summary)
    body = term.body
    staff = _staff_user(body)
    kind = ActivityKind.objects.filter(body=body, is_active=True).order_by("order", "id").first()
    data, plan = _workbook(term, kind, ROWS)
    batch = settings.IMPORT_BATCH_SIZE
    batches = -(-ROWS // batch)
    rows = []

    started = time.perf_counter()
    preview = activities_history_preview(body=body, file=io.BytesIO(data))
    preview_ms = (time.perf_counter() - started) * 1000
    assert preview.errors == [], preview.errors[:5]

    # The import, rolled back.
    with transaction.atomic():
        reset_queries()  # DEBUG keeps only the last 9,000: a full log captures none
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            report = activities_history_apply(body=body, file=io.BytesIO(data), by=staff)
            import_ms = (time.perf_counter() - started) * 1000
        assert report.applied, report.errors[:5]
        member_ids = sorted({m for _t, _d, m, _s in plan})
        started = time.perf_counter()
        refreshed = facts_refresh(member_ids)
        refresh_ms = (time.perf_counter() - started) * 1000
        transaction.set_rollback(True)
    writes = [q for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE"))]
    inserts = sum(1 for q in writes if q["sql"].startswith('INSERT INTO "duties_participation"'))

    # The baseline: the same activities, then the same participations by bulk_create.
    with transaction.atomic():
        now = timezone.now()
        activities = {}
        for title, day, _m, _s in plan:
            if (title, day) not in activities:
                starts = timezone.make_aware(datetime.datetime.combine(day, STARTS))
                activities[(title, day)] = Activity(
                    body=body, term=term, kind=kind, theme=title, starts_at=starts, ends_at=starts,
                    status=Activity.Status.CONFIRMED, created_by=staff,
                )  # fmt: skip
        Activity.objects.bulk_create(activities.values(), batch_size=batch)
        states = {"出席": "attended", "请假": "excused", "缺席": "absent"}
        participations = [
            Participation(activity=activities[(t, d)], member_id=m, attendance=states[s],
                          source="history", recorded_by=staff, recorded_at=now, signed_up_at=now)
            for t, d, m, s in plan
        ]  # fmt: skip
        reset_queries()  # DEBUG keeps only the last 9,000: a full log captures none
        with CaptureQueriesContext(connection) as base_queries:
            started = time.perf_counter()
            Participation.objects.bulk_create(participations, batch_size=batch)
            base_ms = (time.perf_counter() - started) * 1000
        transaction.set_rollback(True)

    where = f"{body.short_name} 第{term.number}届, {len(activities)} 项活动"
    fixed = len(queries) - inserts
    # Constant per batch (issue 7): the participation INSERTs are one per batch, and
    # what is left does not grow with the rows (at most a few queries per batch).
    per_batch = inserts / batches
    constant = 1 <= per_batch <= 2 and fixed <= 20 + 2 * batches
    rows.append(
        Row(
            scale,
            f"历史导入 {ROWS} 条出席记录(含读文件与检查)",
            f"{import_ms:.0f} ms, {len(queries)} 次查询, {len(writes)} 条写入语句",
            f"{base_ms:.0f} ms (bulk_create 同样 {ROWS} 条, {len(base_queries)} 次查询)",
            f"{import_ms / base_ms:.1f}×",
            "查询次数按批恒定, 不随行数增长 (#7)",
            constant,
            f"{where}; 每批 {batch} 行: 参加记录 {batches} 批, 每批 {per_batch:g} 条 INSERT; "
            f"其余 {fixed} 次查询与行数无关(读取 {len(queries) - len(writes)} 次, "
            f"活动写入与计数 {len(writes) - inserts} 次)",
            key="import.attendance_5000",
        )
    )
    rows.append(
        Row(
            scale,
            f"历史导入预览 {ROWS} 行(只读不写)",
            f"{preview_ms:.0f} ms",
            note=f"{len(preview.rows)} 行, 新增 {preview.new}",
            key="import.preview",
        )
    )
    rows.append(
        Row(
            scale,
            "导入后的履职事实刷新(一次)",
            f"{refresh_ms:.0f} ms",
            note=f"{len(member_ids)} 名委员: 新增 {refreshed.created} 条, "
            f"删除 {refreshed.deleted} 条, 未变 {refreshed.unchanged} 条事实",
            key="import.facts_refresh",
        )
    )
    return rows
