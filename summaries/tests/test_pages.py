"""The summary pages as leadership, staff and convenors read them: every
section there, the charts' bars and tables equal to the selector's rows, a
fixed number of queries whatever the body's size, who may read what, and the
printable pack."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from members.models import BodyRole
from sectors.models import Sector, SectorGroup
from summaries import selectors
from summaries.tests.helpers import YEAR, assessed_body, leader_of, staff_of
from tests import factories as f

pytestmark = pytest.mark.django_db


class Figures(HTMLParser):
    """The bars of each chart (label, series, value) and the rows of each chart's table."""

    def __init__(self):
        super().__init__()
        self.bars: dict[str, list] = {}
        self.tables: dict[str, list] = {}
        self.svg_roles: dict[str, str] = {}
        self._chart = self._table = None
        self._row = self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg" and "data-chart" in a:
            self._chart = a["data-chart"]
            self.svg_roles[self._chart] = a.get("role", "")
            self.bars[self._chart] = []
        elif tag == "rect" and self._chart and "bar" in a.get("class", ""):
            self.bars[self._chart].append((a["data-label"], a["data-series"], a["data-value"]))
        elif tag == "table" and "data-chart-table" in a:
            self._table = a["data-chart-table"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "svg":
            self._chart = None
        elif tag == "table":
            self._table = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def figures(response) -> Figures:
    parser = Figures()
    parser.feed(response.content.decode())
    return parser


def text(value) -> str:
    return "—" if value is None else str(value)


@pytest.fixture
def leader(body):
    return leader_of(body)


def test_the_annual_summary_shows_every_section(client, body, leader):
    client.force_login(leader)

    response = client.get(reverse("summaries:annual", args=[body.pk, YEAR]))

    assert response.status_code == 200
    page = response.content.decode()
    for heading in ("总体情况", "等次分布", "排名前 10 位", "排名后 10 位", "界别比较",
                    "界别小组比较", "提案", "社情民意信息", "提醒谈话名单", "优秀委员候选名单",
                    "先进界别小组候选", "与上年比较"):  # fmt: skip
        assert heading in page, heading
    summary = response.context["summary"]
    assert f'data-figure="average">{summary.average}<' in page
    sector = summary.sectors[0]
    assert reverse("summaries:sector", args=[body.pk, YEAR, sector.key]) in page
    assert reverse("summaries:group", args=[body.pk, YEAR, summary.groups[0].key]) in page
    assert 'data-testid="no-scores"' not in page


def test_each_charts_bars_and_table_are_the_selectors_rows(client, body, leader):
    client.force_login(leader)
    response = client.get(reverse("summaries:annual", args=[body.pk, YEAR]))
    summary = selectors.summary_read(body=body, year=YEAR)
    found = figures(response)

    # the rows each chart must show, read from the selector's output directly
    expected = {
        "grades": [(g.name, [g.count, g.previous]) for g in summary.grades],
        "sector_average": [(u.name, [u.average, u.previous_average]) for u in summary.sectors],
        "sector_compliance": [(u.name, [u.compliance_rate]) for u in summary.sectors],
        "sector_activity": [(u.name, [u.activities_per_member]) for u in summary.sectors],
        "group_score": [(u.name, [u.score]) for u in summary.groups],
        "reports": [
            (label, [n, m])
            for (label, n), (_l, m) in zip(
                summary.reports.adopted, summary.reports.instructed, strict=True
            )
        ],
        "satisfaction": [(label, [n]) for label, n in summary.proposals.satisfaction],
    }
    assert set(found.tables) == set(expected)
    for key, rows in expected.items():
        chart = response.context["charts"][key]
        assert chart.rows == rows, key
        assert found.svg_roles[key] == "img"
        # the table: a header row, then one row per label with each series' value
        assert found.tables[key][0] == [chart.label_header, *chart.series], key
        assert found.tables[key][1:] == [[label, *map(text, vs)] for label, vs in rows], key
        # the bars: one per value there is, carrying the same value
        assert found.bars[key] == [
            (label, series, text(v))
            for label, vs in rows
            for series, v in zip(chart.series, vs, strict=True)
            if v is not None
        ], key
    assert any(g.count for g in summary.grades)


def test_bar_lengths_follow_the_values(client, body, leader):
    client.force_login(leader)
    page = client.get(reverse("summaries:annual", args=[body.pk, YEAR])).content.decode()
    chart = re.search(r'<svg[^>]*data-chart="sector_average".*?</svg>', page, re.S).group(0)
    bars = re.findall(r'data-series="本年" data-value="([\d.]+)"[^>]*width="([\d.]+)"', chart)
    assert len(bars) > 3
    biggest_value, biggest_width = max((float(v), float(w)) for v, w in bars)
    for value, width in bars:
        assert float(width) == pytest.approx(float(value) / biggest_value * biggest_width, abs=0.2)


def _pages(body, sector, group):
    return [
        reverse("summaries:annual", args=[body.pk, YEAR]),
        reverse("summaries:quarter", args=[body.pk, YEAR, 3]),
        reverse("summaries:sector", args=[body.pk, YEAR, sector.pk]),
        reverse("summaries:group", args=[body.pk, YEAR, group.pk]),
        reverse("summaries:lower", args=[body.pk, YEAR]),
        reverse("summaries:annual_pack", args=[body.pk, YEAR]),
    ]


def _a_sector_and_group(body):
    sector = Sector.objects.filter(term__body=body, members__isnull=False).order_by("pk").first()
    group = (
        SectorGroup.objects.filter(term__body=body, members__isnull=False).order_by("pk").first()
    )
    return sector, group


def test_the_pages_run_the_same_queries_for_a_bigger_body(
    client, body, django_assert_max_num_queries
):
    # given the 40-seat body and one of 120 seats
    bigger = assessed_body("云河市政协", members=120)
    counts = {}
    for each in (body, bigger):
        client.force_login(leader_of(each))
        sector, group = _a_sector_and_group(each)
        counts[each.pk] = []
        for url in _pages(each, sector, group):
            # session, user, roles, seats; the body; periods, scores grouped,
            # units grouped, attendance (this year, last), groups' scores,
            # ranking(s), lists; proposals, ratings; reports, adoptions,
            # instructions; years; base page
            with django_assert_max_num_queries(40) as queries:
                assert client.get(url).status_code == 200, url
            counts[each.pk].append(len(queries))
    assert counts[body.pk] == counts[bigger.pk]


def test_the_index_does_not_grow_with_bodies(client, body, django_assert_max_num_queries):
    admin = f.UserFactory(is_superuser=True)
    client.force_login(admin)
    url = reverse("summaries:index")
    with django_assert_max_num_queries(15) as few:
        assert client.get(url).status_code == 200
    for i in range(3):
        f.BodyFactory(name=f"云山市第{i}区政协", level="county", parent=body)
    with django_assert_max_num_queries(15) as many:
        response = client.get(url)
    assert len(many) == len(few)
    assert "云山市第2区政协" in response.content.decode()


def test_a_quarter_reads_its_period(client, body, leader):
    client.force_login(leader)

    response = client.get(reverse("summaries:quarter", args=[body.pk, YEAR, 3]))

    summary = response.context["summary"]
    assert summary.period.quarter == 3 and summary.has_scores
    assert str(summary.end) == f"{YEAR}-09-30"
    assert "第 3 季度履职总结" in response.content.decode()


def test_a_year_not_yet_assessed_says_so_and_shows_what_there_is(client, body, leader):
    client.force_login(leader)

    response = client.get(reverse("summaries:quarter", args=[body.pk, YEAR, 1]))
    page = response.content.decode()
    assert 'data-testid="no-scores"' in page and "尚未计算" in page
    assert 'data-testid="proposals"' in page and 'data-testid="reports"' in page

    response = client.get(reverse("summaries:annual", args=[body.pk, YEAR + 1]))
    assert "年度考核尚未计算" in response.content.decode()


def test_a_sector_page_lists_its_members(client, body, leader):
    client.force_login(leader)
    sector, _group = _a_sector_and_group(body)

    response = client.get(reverse("summaries:sector", args=[body.pk, YEAR, sector.pk]))

    summary = response.context["summary"]
    assert summary.sector == sector
    page = response.content.decode()
    assert 'data-testid="ranking"' in page
    for row in summary.ranking:
        assert f'data-member="{row.member_id}"' in page


def test_another_bodys_sector_is_not_found(client, body, leader, world):
    client.force_login(leader)

    response = client.get(reverse("summaries:sector", args=[body.pk, YEAR, world.sector.pk]))

    assert response.status_code == 404


def test_a_convenor_reads_their_own_group_only(client, body):
    group, other = (
        SectorGroup.objects.filter(term__body=body, members__isnull=False)
        .distinct()
        .order_by("pk")[:2]
    )
    convenor = f.member_with_login(
        term=group.term, sector=group.sectors.first(), group=group, number="9001"
    )
    group.convenor = convenor
    group.save(update_fields=["convenor"])
    client.force_login(convenor.person.user)

    own = client.get(reverse("summaries:group", args=[body.pk, YEAR, group.pk]))
    assert own.status_code == 200
    assert "小组履职总结" in own.content.decode()  # the nav entry
    assert client.get(reverse("summaries:group", args=[body.pk, YEAR, other.pk])).status_code == (
        403
    )
    assert client.get(reverse("summaries:annual", args=[body.pk, YEAR])).status_code == 403
    index = client.get(reverse("summaries:index"))
    assert index.status_code == 302 and f"/groups/{group.pk}/" in index.url


def test_members_are_refused(client, body):
    member = f.member_with_login(term=body.terms.get(is_current=True), number="9002")
    client.force_login(member.person.user)

    assert client.get(reverse("summaries:index")).status_code == 403
    assert client.get(reverse("summaries:annual", args=[body.pk, YEAR])).status_code == 403


def test_an_upper_bodys_leadership_reads_the_lower_bodies(client, body, leader):
    lower = assessed_body("云山市北湖区政协", members=15, years=(YEAR,), quarters=())
    lower.parent = body
    lower.save(update_fields=["parent"])
    lower_staff = staff_of(lower)

    client.force_login(leader)
    response = client.get(reverse("summaries:lower", args=[body.pk, YEAR]))
    assert response.status_code == 200
    assert f'data-body="{lower.pk}"' in response.content.decode()
    assert client.get(reverse("summaries:annual", args=[lower.pk, YEAR])).status_code == 200
    index = client.get(reverse("summaries:index")).content.decode()
    # the upper body first, though its name sorts after the lower one's
    assert lower.name < body.name
    assert 0 < index.index(body.name) < index.index(lower.name)

    # the lower body's staff read their own, not the upper one's
    client.force_login(lower_staff)
    assert client.get(reverse("summaries:annual", args=[lower.pk, YEAR])).status_code == 200
    assert client.get(reverse("summaries:annual", args=[body.pk, YEAR])).status_code == 404


def test_staff_read_and_everyone_only_reads(client, body):
    client.force_login(staff_of(body))
    url = reverse("summaries:annual", args=[body.pk, YEAR])

    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 405
    other = f.office_user(body=body, role=BodyRole.Role.LEADERSHIP)
    client.force_login(other)
    assert client.post(reverse("summaries:annual_pack", args=[body.pk, YEAR])).status_code == 405


def test_the_pack_is_a_page_to_print(client, body, leader):
    client.force_login(leader)

    response = client.get(reverse("summaries:annual_pack", args=[body.pk, YEAR]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "css/summary-print.css" in page and "js/summary-print.js" in page
    assert "data-print" in page and "打印" in page
    # no inline script: the content shows without it
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert page.count('role="img"') >= 5
    assert 'class="navbar' not in page
    # the whole lists, not the page's first 30
    summary = response.context["summary"]
    talk = next(e for e in summary.follow_ups if e.code == "reminder_talk")
    assert len(talk.members) == talk.count


def test_the_page_lists_the_first_members_of_a_long_list(client, body, leader):
    client.force_login(leader)

    response = client.get(reverse("summaries:annual", args=[body.pk, YEAR]))

    talk = next(e for e in response.context["summary"].follow_ups if e.code == "reminder_talk")
    assert talk.count > 30 or len(talk.members) == talk.count
    assert len(talk.members) <= 30
