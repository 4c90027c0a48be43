"""QR check-in (扫码签到) at the venue.

The screen at the venue shows a code that changes every minute: an HMAC of the
activity and the minute (the "window"), so only this server can make one and a
photo of it is worth a minute or two. The code is a link; the member's phone
opens it, and `checkin_record` marks the member present."""

import base64
import datetime
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from duties.models import Activity, CheckInUse, Participation
from duties.services import attendance_record, in_audience
from members.models import Member

WINDOW_SECONDS = 60
# Members arrive early; the sign-in desk opens half an hour before the start.
OPENS_BEFORE = datetime.timedelta(minutes=30)
# A member who scanned a fresh code and then had to log in gets this long.
LOGIN_GRACE = datetime.timedelta(minutes=10)
TOKEN_SALT = "duties.checkin.v1"
TOKEN_LENGTH = 16  # base32 characters: 80 bits of the HMAC


class CheckInRefused(ValidationError):
    """A check-in that cannot be accepted; `status` is the HTTP status to answer with:
    410 for a code that is out of date or used already, 403 for the rest."""

    def __init__(self, message, *, status: int = 403):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class CheckIn:
    participation: Participation
    already: bool  # checked in before: nothing changed


def checkin_window(now: datetime.datetime) -> int:
    return int(now.timestamp()) // WINDOW_SECONDS


def checkin_token(*, activity_id: int, window: int) -> str:
    digest = salted_hmac(TOKEN_SALT, f"{activity_id}:{window}", algorithm="sha256").digest()
    return base64.b32encode(digest[:10]).decode("ascii").lower()


def checkin_token_valid(*, activity_id: int, window: int, token: str) -> bool:
    return len(token) == TOKEN_LENGTH and constant_time_compare(
        checkin_token(activity_id=activity_id, window=window), token.lower()
    )


def checkin_code_fresh(*, window: int, at: datetime.datetime) -> bool:
    """The code shown now or the minute before: a code shown just before the
    minute turns is still good when the phone opens it."""
    current = checkin_window(at)
    return current - 1 <= window <= current


def checkin_qr_svg(url: str) -> str:
    """The link as an inline SVG QR code (white background, no Pillow), sized by
    its container: the fixed millimetre size is dropped, the viewBox stays."""
    image = qrcode.make(
        url,
        image_factory=qrcode.image.svg.SvgPathFillImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    svg = image.to_string(encoding="unicode")
    head, rest = svg.split(">", 1)
    head = " ".join(part for part in head.split(" ") if not part.startswith(("width=", "height=")))
    label = _("签到二维码")
    return f'{head} role="img" aria-label="{label}">{rest}'


def checkin_member_for(*, user, activity: Activity) -> Member | None:
    """The user's seat in the activity's term, if any."""
    return (
        Member.objects.filter(person__user=user, term_id=activity.term_id)
        .select_related("person")
        .order_by("left_on", "-id")
        .first()
    )


@transaction.atomic
def checkin_record(
    *,
    activity: Activity,
    member: Member,
    window: int,
    token: str,
    now: datetime.datetime | None = None,
    scanned_at: datetime.datetime | None = None,
) -> CheckIn:
    """Mark a member present from a scanned code. `scanned_at` is when the code
    was first opened (before a login), at most LOGIN_GRACE ago; freshness is
    judged then, the activity's time window now. Checking in twice changes
    nothing; the same minute's code is not accepted twice from one member."""
    now = now or timezone.now()
    scanned_at = scanned_at if scanned_at and now - scanned_at <= LOGIN_GRACE else now
    if not checkin_token_valid(activity_id=activity.pk, window=window, token=token):
        raise CheckInRefused(_("二维码无效:请扫描会场屏幕上的签到二维码。"))
    if not checkin_code_fresh(window=window, at=scanned_at):
        raise CheckInRefused(
            _("二维码已过期(每分钟更新一次):请重新扫描会场屏幕上的二维码。"), status=410
        )
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if activity.status == Activity.Status.CANCELLED:
        raise CheckInRefused(_("活动已取消,无需签到。"))
    if activity.status == Activity.Status.DRAFT:
        raise CheckInRefused(_("活动尚未发布,不能签到。"))
    if not activity.starts_at - OPENS_BEFORE <= now <= activity.ends_at:
        opens = timezone.localtime(activity.starts_at - OPENS_BEFORE)
        closes = timezone.localtime(activity.ends_at)
        raise CheckInRefused(
            _("不在签到时间内:签到时间为 %(opens)s 至 %(closes)s。")
            % {
                "opens": opens.strftime("%Y年%m月%d日 %H:%M"),
                "closes": closes.strftime("%m月%d日 %H:%M"),
            }
        )
    participation = Participation.objects.filter(activity=activity, member=member).first()
    listed = participation is not None and participation.signup == Participation.Signup.CONFIRMED
    if not listed and not in_audience(activity, member):
        raise CheckInRefused(_("您不在本活动的参加对象之内,无需签到。如有疑问请联系工作人员。"))
    if (
        participation is not None
        and participation.attendance == Participation.Attendance.ATTENDED
        and participation.checked_in_at is not None
    ):
        # A second scan or a reload of the page: already done.
        return CheckIn(participation=participation, already=True)
    try:
        with transaction.atomic():
            CheckInUse.objects.create(activity=activity, member=member, window=window, used_at=now)
    except IntegrityError:
        # Used before, and staff have changed the attendance since: a screenshot
        # of the same code must not undo their correction.
        raise CheckInRefused(
            _("该二维码已使用过:请重新扫描会场屏幕上的最新二维码。"), status=410
        ) from None
    participation = attendance_record(
        activity=activity,
        member=member,
        attendance=Participation.Attendance.ATTENDED,
        by=member.person.user,
    )
    participation.checked_in_at = now
    fields = ["checked_in_at"]
    if not listed:
        participation.source = Participation.Source.CHECKIN
        fields.append("source")
    if participation.leave == Participation.Leave.REQUESTED:
        # They came after all: the request is moot.
        participation.leave = Participation.Leave.NONE
        fields.append("leave")
    participation.save(update_fields=fields)
    return CheckIn(participation=participation, already=False)


def checkin_counts(*, activity: Activity) -> dict:
    participations = Participation.objects.filter(activity=activity)
    return {
        "checked_in": participations.attended().filter(checked_in_at__isnull=False).count(),
        "attended": participations.attended().count(),
        "listed": participations.on_list().count(),
    }
