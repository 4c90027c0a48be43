"""Guessing ids: a member's disputes, attachments, drafts, exports and records
are reachable by nobody who may not see them, whatever id they type.

Member A is the world's member; every object below is A's (or, for the export
job, the requesting staff member's), made by the permission matrix's
prepare(). Each URL that takes such an object's id is tried by a member of
A's own group who does not convene it, a member of another group, a member
and the staff of another body; an export job also by a second staff member
and the leadership of the same body. Each must get 403 or 404 (GET-only or
POST-only URLs answer the other method 405), and a POST must leave every
table as it was."""

import pytest
from django.db import connection, transaction
from django.urls import reverse

from members.models import BodyRole
from tests import factories as f
from tests.matrix import world_once

YEAR = 2024


def _reason(w):
    return {"reason": "不是我的记录"}


# (kind, url name, kwargs, methods, POST data)
TARGETS = [
    # disputes
    (
        "dispute",
        "duties:dispute_resolve",
        lambda w: {"pk": w.rec_dispute.pk},
        "get post",
        lambda w: {"decision": "accept", "resolution": "改为出席"},
    ),
    (
        "dispute",
        "duties:dispute_new",
        lambda w: {"model": "duties.participation", "object_id": w.rec_free_participation.pk},
        "get post",
        _reason,
    ),
    ("dispute", "scoring:line_dispute", lambda w: {"pk": w.review_line.pk}, "get post", _reason),
    # attachments
    ("attachment", "duties:attachment", lambda w: {"pk": w.rec_attachment.pk}, "get", None),
    ("attachment", "reports:attachment", lambda w: {"pk": w.report_attachment.pk}, "get", None),
    ("attachment", "proposals:attachment", lambda w: {"pk": w.p_attachment.pk}, "get", None),
    ("attachment", "scoring:duty_report_file", lambda w: {"pk": w.duty_report.pk}, "get", None),
    # drafts: a proposal, a social-information report, a self-reported duty, a duty report
    ("draft", "proposals:detail", lambda w: {"pk": w.p_draft.pk}, "get", None),
    (
        "draft",
        "proposals:edit",
        lambda w: {"pk": w.p_draft.pk},
        "get post",
        lambda w: {"title": "改过的标题", "category": "society", "content": "改过的内容"},
    ),
    (
        "draft",
        "proposals:invite",
        lambda w: {"pk": w.p_draft.pk},
        "get post",
        lambda w: {"members": [w.colleague.pk, w.other_member.pk]},
    ),
    ("draft", "proposals:submit", lambda w: {"pk": w.p_draft.pk}, "post", None),
    ("draft", "proposals:withdraw", lambda w: {"pk": w.p_draft.pk}, "post", None),
    ("draft", "proposals:topic_withdraw", lambda w: {"pk": w.p_topic.pk}, "post", None),
    ("draft", "reports:detail", lambda w: {"pk": w.draft.pk}, "get", None),
    (
        "draft",
        "reports:edit",
        lambda w: {"pk": w.draft.pk},
        "get post",
        lambda w: {"title": "改", "content": "改"},
    ),
    ("draft", "reports:submit", lambda w: {"pk": w.draft.pk}, "post", None),
    ("draft", "reports:withdraw", lambda w: {"pk": w.report.pk}, "post", None),
    ("draft", "duties:duty_detail", lambda w: {"pk": w.rec_duty.pk}, "get", None),
    (
        "draft",
        "duties:duty_edit",
        lambda w: {"pk": w.rec_duty.pk},
        "get post",
        lambda w: {"kind": w.rec_duty.kind_id, "done_on": "2025-06-02", "description": "改"},
    ),
    ("draft", "duties:duty_verify", lambda w: {"pk": w.rec_duty.pk}, "post", None),
    ("draft", "duties:duty_return", lambda w: {"pk": w.rec_duty.pk}, "get post", _reason),
    ("draft", "scoring:duty_report", lambda w: {"pk": w.duty_report.pk}, "get", None),
    # exports and score jobs
    ("export", "summaries:export_job", lambda w: {"pk": w.export_job.pk}, "get", None),
    ("export", "summaries:export_job_status", lambda w: {"pk": w.export_job.pk}, "get", None),
    ("export", "summaries:export_job_download", lambda w: {"pk": w.export_job.pk}, "get", None),
    ("export", "scoring:job_detail", lambda w: {"pk": w.job.pk}, "get", None),
    ("export", "scoring:job_status", lambda w: {"pk": w.job.pk}, "get", None),
    # records: the duty record, the annual record, a score, a notice, the member's data
    ("record", "duties:record", lambda w: {"member_pk": w.member.pk}, "get", None),
    (
        "record",
        "summaries:member_record",
        lambda w: {"member_id": w.member.pk, "year": YEAR},
        "get",
        None,
    ),
    (
        "record",
        "summaries:member_record_pdf",
        lambda w: {"member_id": w.member.pk, "year": YEAR},
        "get",
        None,
    ),
    ("record", "scoring:score_receipt", lambda w: {"pk": w.review_score.pk}, "get", None),
    (
        "record",
        "scoring:score_adjust",
        lambda w: {"pk": w.review_score.pk},
        "get post",
        lambda w: {"points": "50", "reason": "自己加分"},
    ),
    ("record", "members:notice_read", lambda w: {"pk": w.notice.pk}, "post", None),
    (
        "record",
        "members:edit",
        lambda w: {"pk": w.member.pk},
        "get post",
        lambda w: {"p-name": "改名", "s-number": "9999"},
    ),
    (
        "record",
        "members:contact_edit",
        lambda w: {"pk": w.member.pk},
        "get post",
        lambda w: {"mobile": "13900000000", "workplace": "别处"},
    ),
]

GUESSERS = ("colleague", "other_group", "other_body_member", "other_staff")
# The export job is its requester's alone, even within the body's office.
JOB_GUESSERS = (*GUESSERS, "second_staff", "leader")


def _guesser(world, who):
    return {
        "colleague": world.colleague.person.user,
        "other_group": world.other_member.person.user,
        "other_body_member": world.outsider_member.person.user,
        "other_staff": world.other_staff,
        "second_staff": world.second_staff,
        "leader": world.leader,
    }[who]


@pytest.fixture(scope="module")
def idor_world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("idor-media")
    with django_db_blocker.unblock(), world_once(media) as world:
        world.second_staff = f.office_user(
            body=world.body, role=BodyRole.Role.STAFF, username="secondstaff"
        )
        yield world


def _fingerprint() -> dict[str, str]:
    """Every table's rows, hashed; sessions change on every request and are left out."""
    tables = [t for t in connection.introspection.table_names() if t != "django_session"]
    sql = " UNION ALL ".join(
        f"SELECT '{t}', md5(coalesce(string_agg(md5(r::text), '' ORDER BY md5(r::text)), ''))"
        f' FROM "{t}" r'
        for t in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return dict(cursor.fetchall())


CASES = [
    (kind, name, who)
    for kind, name, *_ in TARGETS
    for who in (JOB_GUESSERS if name.startswith("summaries:export_job") else GUESSERS)
]


@pytest.mark.parametrize(("kind", "name", "who"), CASES)
def test_ids_of_another_members_things_lead_nowhere(db, client, idor_world, kind, name, who):
    _, _, kwargs, methods, data = next(t for t in TARGETS if t[1] == name)
    world = idor_world
    client.raise_request_exception = False
    url = reverse(name, kwargs=kwargs(world))
    client.force_login(_guesser(world, who))
    answered = []
    for method in ("get", "post"):
        with transaction.atomic():
            before = _fingerprint() if method == "post" else None
            payload = data(world) if data else {}
            status = getattr(client, method)(url, payload).status_code
            if method in methods.split():
                assert status in (403, 404), f"{method.upper()} {url} as {who}: {status}"
                answered.append(status)
            else:
                assert status == 405, f"{method.upper()} {url} as {who}: {status}"
            if before is not None:
                after = _fingerprint()
                changed = sorted(t for t in after if after[t] != before.get(t))
                assert changed == [], f"POST {url} as {who} changed {changed}"
            transaction.set_rollback(True)
    assert answered


def test_the_fingerprint_sees_a_change(db, idor_world):
    # given the world's fingerprint
    before = _fingerprint()

    with transaction.atomic():
        # when one field of one row changes
        idor_world.rec_duty.__class__.objects.filter(pk=idor_world.rec_duty.pk).update(
            description="改了"
        )

        # then that table, and only it, differs
        after = _fingerprint()
        transaction.set_rollback(True)
    table = idor_world.rec_duty._meta.db_table
    assert sorted(t for t in after if after[t] != before[t]) == [table]


def test_the_owner_reaches_them(db, client, idor_world):
    """The same URLs answer the owner, so the refusals above are about who asks."""
    world = idor_world
    client.force_login(world.member.person.user)
    for name, key in (
        ("duties:attachment", {"pk": world.rec_attachment.pk}),
        ("proposals:detail", {"pk": world.p_draft.pk}),
        ("reports:detail", {"pk": world.draft.pk}),
        ("duties:duty_detail", {"pk": world.rec_duty.pk}),
        ("duties:record", {"member_pk": world.member.pk}),
        ("scoring:score_receipt", {"pk": world.review_score.pk}),
    ):
        assert client.get(reverse(name, kwargs=key)).status_code == 200, name
    client.force_login(world.staff)
    job = reverse("summaries:export_job_download", kwargs={"pk": world.export_job.pk})
    assert client.get(job).status_code == 200
