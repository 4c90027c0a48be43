import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from proposals.models import Proposal
from proposals.states import TRANSITIONS, VERB_LABELS, can_move, require_move

S = Proposal.Status


def test_every_status_has_a_row():
    assert set(TRANSITIONS) == set(S.values)


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (S.DRAFT, S.SUBMITTED, True),
        (S.SUBMITTED, S.ACCEPTED, True),
        (S.ACCEPTED, S.ROUTED, True),
        (S.REPLIED, S.REHANDLING, True),
        (S.REPLIED, S.CLOSED, True),
        (S.DRAFT, S.ACCEPTED, False),
        (S.REJECTED, S.ACCEPTED, False),
        (S.CLOSED, S.ROUTED, False),
        (S.ACCEPTED, S.WITHDRAWN, False),
    ],
)
def test_transitions(current, target, allowed):
    assert can_move(current, target) is allowed


def test_a_refused_move_says_why_in_chinese():
    with pytest.raises(ValidationError, match="提案当前为“草稿”,不能变为“已立案”"):
        require_move(Proposal(status=S.DRAFT), S.ACCEPTED)


def test_every_verb_the_services_write_has_a_timeline_label():
    services = Path(__file__).resolve().parent.parent / "services"
    written = set()
    for source in services.glob("*.py"):
        written |= set(re.findall(r'verb="([a-z_]+)"', source.read_text()))
    assert written, "no verbs found: has the services' call style changed?"
    assert written - set(VERB_LABELS) == set()
