"""Views for QR check-in, the sign-in sheet import and the calendar feed.

Check-in answers a refused code with a page that says why: 410 Gone for a code
that is out of date or already used (scan the screen again), 403 for the rest
(not a member of the term, not in the audience, outside the check-in time,
activity cancelled). Never a server error."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from duties.calendar import (
    calendar_activities,
    calendar_feed_get,
    calendar_feed_reset,
    calendar_ics,
)
from duties.checkin import (
    OPENS_BEFORE,
    CheckInRefused,
    checkin_code_fresh,
    checkin_counts,
    checkin_member_for,
    checkin_qr_svg,
    checkin_record,
    checkin_token,
    checkin_token_valid,
    checkin_window,
)
from duties.models import Activity, CalendarFeed
from duties.permissions import get_activity_for_user
from duties.sheet import MOBILE_HEADERS, NAME_HEADERS, sheet_import_apply, sheet_import_preview
from members.forms import StyledFormMixin
from members.roster_views import STORED_NAME, TOKEN_MAX_AGE, imports_dir, upload_store

# Form pages: shown on GET (and HEAD), saved on POST; any other method is refused.
GET_POST = require_http_methods(["GET", "HEAD", "POST"])

SHEET_TOKEN_SALT = "duties.sheet_import"
CHECKIN_SEEN = "checkin-seen:{pk}:{window}"


# --------------------------------------------------------------------------- QR check-in


def _checkin_url(request, activity: Activity, now) -> str:
    window = checkin_window(now)
    path = reverse(
        "duties:checkin",
        args=[activity.pk, window, checkin_token(activity_id=activity.pk, window=window)],
    )
    return request.build_absolute_uri(path)


def _qr_context(request, activity: Activity) -> dict:
    now = timezone.now()
    open_now = activity.status in (Activity.Status.PUBLISHED, Activity.Status.CONFIRMED)
    url = _checkin_url(request, activity, now) if open_now else ""
    return {
        "activity": activity,
        "open_now": open_now,
        "checkin_url": url,
        # Generated here from our own URL: no user text goes into the SVG.
        "qr_svg": mark_safe(checkin_qr_svg(url)) if url else "",
        "counts": checkin_counts(activity=activity),
        "opens_at": activity.starts_at - OPENS_BEFORE,
        "in_time": activity.starts_at - OPENS_BEFORE <= now <= activity.ends_at,
        "now": now,
    }


@login_required
@require_safe
@never_cache
def checkin_screen(request, pk):
    """The page shown on the venue's screen: the code, refreshed every few seconds."""
    activity = get_activity_for_user(request.user, pk, write=True)
    return render(request, "duties/checkin_screen.html", _qr_context(request, activity))


@login_required
@require_safe
@never_cache
def checkin_qr(request, pk):
    """The code and the count alone, polled by the screen (htmx, no inline script)."""
    activity = get_activity_for_user(request.user, pk, write=True)
    return render(request, "duties/checkin_qr.html", _qr_context(request, activity))


def _refused(request, activity, message, status):
    return render(
        request,
        "duties/checkin_result.html",
        {"activity": activity, "ok": False, "message": message},
        status=status,
    )


# GET records the attendance (a phone opens the code's link); a HEAD from a
# link previewer must not, so it is refused like every other method.
@require_GET
@never_cache
def checkin(request, pk, window, token):
    """What a phone opens from the code. Not logged in: remember that a fresh
    code was scanned (the login may take longer than the code lives) and send
    the member to log in and back here."""
    now = timezone.now()
    seen_key = CHECKIN_SEEN.format(pk=pk, window=window)
    if not request.user.is_authenticated:
        if checkin_token_valid(activity_id=pk, window=window, token=token) and checkin_code_fresh(
            window=window, at=now
        ):
            request.session.setdefault(seen_key, now.timestamp())
        return redirect_to_login(request.get_full_path())
    activity = get_activity_for_user(request.user, pk)
    member = checkin_member_for(user=request.user, activity=activity)
    if member is None:
        return _refused(
            request, activity, _("您不是本届委员,无需签到。如有疑问请联系工作人员。"), 403
        )
    seen = request.session.pop(seen_key, None)
    scanned_at = datetime.datetime.fromtimestamp(seen, tz=datetime.UTC) if seen else None
    try:
        result = checkin_record(
            activity=activity,
            member=member,
            window=window,
            token=token,
            now=now,
            scanned_at=scanned_at,
        )
    except CheckInRefused as refusal:
        return _refused(request, activity, refusal.messages[0], refusal.status)
    return render(
        request,
        "duties/checkin_result.html",
        {
            "activity": activity,
            "ok": True,
            "already": result.already,
            "participation": result.participation,
            "member": member,
        },
    )


# --------------------------------------------------------------------------- sign-in sheet


class SheetUploadForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label=gettext_lazy("签到表文件"),
        help_text=gettext_lazy("Excel .xlsx 文件;第一个工作表,表头行含“姓名”和/或“手机号码”列。"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )


def _sheet_page(request, activity, form, status=200, **context):
    return render(
        request,
        "duties/sheet_import.html",
        {
            "activity": activity,
            "form": form,
            "name_headers": NAME_HEADERS,
            "mobile_headers": MOBILE_HEADERS,
            **context,
        },
        status=status,
    )


@login_required
@GET_POST
def sheet_import(request, pk):
    """Upload the venue's sign-in sheet: checked and shown row by row, nothing saved."""
    activity = get_activity_for_user(request.user, pk, write=True)
    if request.method != "POST":
        return _sheet_page(request, activity, SheetUploadForm())
    form = SheetUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _sheet_page(request, activity, form)
    upload = form.cleaned_data["file"]
    preview = sheet_import_preview(activity=activity, file=upload)
    token = None
    if preview.can_confirm and preview.to_mark:
        name = upload_store(upload)
        token = signing.dumps(
            {"f": name, "a": activity.pk, "u": request.user.pk}, salt=SHEET_TOKEN_SALT
        )
    return _sheet_page(request, activity, form, preview=preview, token=token)


def _picks(post) -> dict[int, int]:
    picks = {}
    for key, value in post.items():
        if key.startswith("pick-") and key[5:].isdigit() and value.isdigit():
            picks[int(key[5:])] = int(value)
    return picks


@login_required
@require_POST
def sheet_import_confirm(request, pk):
    """Import exactly the sheet that was checked (kept behind a signed token)."""
    activity = get_activity_for_user(request.user, pk, write=True)
    token = request.POST.get("token", "")
    try:
        data = signing.loads(token, salt=SHEET_TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        messages.error(request, _("导入确认已失效,请重新上传签到表。"))
        return redirect("duties:sheet_import", pk=activity.pk)
    if (
        data.get("u") != request.user.pk
        or data.get("a") != activity.pk
        or not STORED_NAME.match(data.get("f", ""))
    ):
        raise PermissionDenied
    path = imports_dir() / data["f"]
    if not path.exists():
        messages.error(request, _("该签到表已导入或已过期,请重新上传。"))
        return redirect("duties:sheet_import", pk=activity.pk)
    try:
        result = sheet_import_apply(
            activity=activity, file=path, picks=_picks(request.POST), by=request.user
        )
    except ValidationError as error:
        # Show the sheet again as it reads now; keep it only if it can still be confirmed.
        preview = sheet_import_preview(activity=activity, file=path)
        if not preview.can_confirm:
            path.unlink(missing_ok=True)
            token = None
        return _sheet_page(
            request,
            activity,
            SheetUploadForm(),
            preview=preview,
            token=token,
            refusal=error.messages,
        )
    path.unlink(missing_ok=True)
    messages.success(
        request,
        _("签到表已导入:新登记出席 %(marked)s 人,此前已登记出席 %(already)s 人。")
        % {"marked": result.marked, "already": result.already},
    )
    return redirect("duties:attendance", pk=activity.pk)


# --------------------------------------------------------------------------- calendar


def _person(user):
    return getattr(user, "person", None)


def _feed_url(request, feed: CalendarFeed | None) -> str:
    if feed is None:
        return ""
    return request.build_absolute_uri(reverse("duties:calendar_feed", args=[feed.token]))


@login_required
@require_safe
def calendar(request):
    """The member's private calendar link, to subscribe to in a phone's calendar."""
    person = _person(request.user)
    feed = calendar_feed_get(person=person) if person else None
    return render(
        request,
        "duties/calendar.html",
        {"person": person, "feed": feed, "feed_url": _feed_url(request, feed)},
    )


@login_required
@require_POST
def calendar_reset(request):
    """A new link; the old one stops working at once."""
    person = _person(request.user)
    if person is None:
        raise PermissionDenied
    had = calendar_feed_get(person=person) is not None
    calendar_feed_reset(person=person)
    messages.success(
        request,
        _("已生成新的订阅地址,原地址已失效。请在日历应用中重新订阅。")
        if had
        else _("已生成订阅地址。"),
    )
    return redirect("duties:calendar")


@require_safe
def calendar_feed(request, token):
    """The feed itself: no login (calendar apps cannot log in), the token is the key."""
    feed = CalendarFeed.objects.select_related("person").filter(token=token).first()
    if feed is None:
        raise Http404
    ics = calendar_ics(
        activities=calendar_activities(person=feed.person),
        url_for=lambda a: request.build_absolute_uri(reverse("duties:activity", args=[a.pk])),
        name=_("履职活动"),
    )
    response = HttpResponse(ics, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="lvzhi.ics"'
    response["Cache-Control"] = "private, no-cache"
    return response
