"""The admin's changelist actions write the export page's sheets, logged."""

import io

from django.contrib.admin import helpers
from django.urls import reverse
from openpyxl import load_workbook

from duties.models import Participation
from members.models import ExportLog
from proposals.tests import factories as pf
from reports.tests import factories as rf
from scoring.models import Score


def act(client, world, model, action, pks):
    client.force_login(world.admin)
    response = client.post(
        reverse(f"admin:{model}_changelist"),
        {"action": action, helpers.ACTION_CHECKBOX_NAME: [str(pk) for pk in pks]},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_selected_participations(client, world, attendance):
    first, _ = attendance
    chosen = Participation.objects.filter(activity=first).order_by("pk")[:2]

    ws = act(
        client, world, "duties_participation", "export_participations", [p.pk for p in chosen]
    )["出席情况"]

    assert ws["A3"].value == "委员编号" and ws.freeze_panes == "A4"
    assert ws.max_row == 3 + 2
    assert ExportLog.objects.get().filters == "admin: selected"


def test_selected_scores(client, world, year):
    scores = Score.objects.filter(period=year[0])

    ws = act(client, world, "scoring_score", "export_scores", [s.pk for s in scores])["得分"]

    assert [c.value for c in ws[3]][:4] == ["政协", "年度", "季度", "委员编号"]
    assert ws.max_row == 3 + scores.count()
    assert ws["C4"].value == "全年"
    assert ws["H4"].number_format == "0.00"


def test_selected_proposals_keep_formulas_as_text(client, world):
    session = pf.open_session(world.term)
    proposal = pf.accepted(member=world.member, session=session, staff=world.staff, title="=1+1")

    ws = act(client, world, "proposals_proposal", "export_proposals", [proposal.pk])["提案"]

    assert ws["B4"].value == "=1+1" and ws["B4"].data_type == "s"
    assert ExportLog.objects.get().what == "提案一览"


def test_selected_reports(client, world):
    report = rf.used(world.member, world.staff, title="关于停车难")

    ws = act(client, world, "reports_socialinforeport", "export_reports", [report.pk])[
        "社情民意信息"
    ]

    assert ws["B4"].value == "关于停车难"
