"""The member's annual duty record (年度履职档案): the HTML page with its print
stylesheet, and the same document as a PDF made on the server."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from members.services import export_log_record
from summaries import member_record as records
from summaries.pdf import pdf_response


def _context(request, member_id, year):
    member = records.get_member_record_for_user(request.user, member_id, year)
    record = records.member_record(
        member=member, year=year, drafts=records.sees_drafts(request.user, member)
    )
    this_year = timezone.localdate().year
    return {
        "member": member,
        "record": record,
        "year": year,
        "title": records.record_title(member, year),
        "years": [y for y in range(this_year, this_year - 5, -1) if y != year][:4],
    }


@login_required
@require_safe
def member_record(request, member_id, year):
    return render(request, "summaries/member_record.html", _context(request, member_id, year))


@login_required
@require_safe
def member_record_pdf(request, member_id, year):
    context = _context(request, member_id, year)
    response = pdf_response(
        request,
        "summaries/member_record_pdf.html",
        context,
        filename=f"{context['title'].replace(' ', '')}.pdf",
    )
    if response.status_code == 200:
        # Personal data leaving the app as a file: logged as the Excel exports are.
        member = context["member"]
        export_log_record(
            user=request.user,
            what=_("年度履职档案 PDF"),
            rows=1,
            filters=f"{member.person.name}({member.number}) {year}",
        )
    return response
