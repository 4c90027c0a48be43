"""What the summaries' tests share: a generated body with its last two years
assessed under the Hai'an rulebook (which has the 六个一 checklist), and a
leadership login of it."""

from bench.generator import generate
from members.models import BodyRole
from scoring import facts as ledger
from scoring import services
from scoring.models import ScorePeriod
from sectors.models import Body
from tests import factories as f
from tests.matrix.annual import haian_text

YEAR = 2025


def assessed_body(name: str, *, members: int = 40, years=(YEAR - 1, YEAR), quarters=(3,)):
    """A generated body (S scale, `members` seats) with the annual assessment
    of each year computed, and the quarters of the last year."""
    generate("S", members=members, body_name=name)
    body = Body.objects.get(name=name)
    by = f.UserFactory()
    from duties.services import activity_kinds_ensure_defaults

    activity_kinds_ensure_defaults(body=body)
    ledger.facts_rebuild(body=body)
    for year in years:
        services.rulebook_load(
            body=body, year=year, text=haian_text(body, year), by=by, publish=True
        )
        for quarter in (ScorePeriod.ANNUAL, *(quarters if year == years[-1] else ())):
            period = services.period_open(body=body, year=year, quarter=quarter)
            services.period_compute(period=period)
    return body


def leader_of(body, username=None):
    return f.office_user(body=body, role=BodyRole.Role.LEADERSHIP, username=username)


def staff_of(body, username=None):
    return f.office_user(body=body, role=BodyRole.Role.STAFF, username=username)
