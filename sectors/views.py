"""The organisation pages: staff keep terms, plenary sessions, sectors, sector
groups, committees and member homes; leadership and the body's members read them."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count, ProtectedError, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from members.permissions import get_body_for_user, viewer_for
from members.selectors import bodies_for_directory
from sectors import forms
from sectors.models import Body, Committee, MemberHome, PlenarySession, Sector, SectorGroup, Term
from sectors.services import sector_group_save

# Form pages: shown on GET (and HEAD), saved on POST; any other method is refused.
GET_POST = require_http_methods(["GET", "HEAD", "POST"])


@dataclass(frozen=True)
class OrgKind:
    model: type
    form: type
    parent: str  # "body" or "term"


KINDS = {
    "term": OrgKind(Term, forms.TermForm, "body"),
    "session": OrgKind(PlenarySession, forms.PlenarySessionForm, "term"),
    "sector": OrgKind(Sector, forms.SectorForm, "term"),
    "group": OrgKind(SectorGroup, forms.SectorGroupForm, "term"),
    "committee": OrgKind(Committee, forms.CommitteeForm, "term"),
    "home": OrgKind(MemberHome, forms.MemberHomeForm, "body"),
}


def _kind(kind: str) -> OrgKind:
    try:
        return KINDS[kind]
    except KeyError:
        raise Http404 from None


def _body_id_of(obj) -> int:
    return obj.body_id if hasattr(obj, "body_id") else obj.term.body_id


def _back(obj_or_parent) -> str:
    body_id = obj_or_parent.pk if isinstance(obj_or_parent, Body) else _body_id_of(obj_or_parent)
    url = reverse("sectors:body", args=[body_id])
    term_id = (
        obj_or_parent.pk
        if isinstance(obj_or_parent, Term)
        else getattr(obj_or_parent, "term_id", None)
    )
    return f"{url}?term={term_id}" if term_id else url


@login_required
@require_safe
def body_list(request):
    bodies = list(bodies_for_directory(request.user).select_related("parent"))
    if len(bodies) == 1:
        return redirect("sectors:body", pk=bodies[0].pk)
    return render(request, "sectors/body_list.html", {"bodies": bodies})


@login_required
@require_safe
def body_detail(request, pk):
    viewer = viewer_for(request.user)
    body = get_body_for_user(request.user, pk)
    terms = list(body.terms.all())
    term_id = request.GET.get("term")
    term = next((t for t in terms if str(t.pk) == term_id), None) or next(
        (t for t in terms if t.is_current), terms[0] if terms else None
    )
    context = {
        "body": body,
        "terms": terms,
        "term": term,
        "can_manage": viewer.can_manage_body(body.pk),
    }
    context["homes"] = body.member_homes.all()
    if term is not None:
        current = Q(members__left_on__isnull=True)
        context.update(
            sessions=term.sessions.all(),
            sectors=term.sectors.annotate(n=Count("members", filter=current)),
            groups=term.sector_groups.annotate(n=Count("members", filter=current))
            .select_related("convenor__person", "liaison__person")
            .prefetch_related("sectors"),
            committees=term.committees.annotate(n=Count("members", filter=current)),
        )
    return render(request, "sectors/body_detail.html", context)


def _parent_for_write(user, kind: OrgKind, parent_pk):
    if kind.parent == "body":
        return get_body_for_user(user, parent_pk, write=True)
    term = Term.objects.filter(pk=parent_pk).first()
    if term is None:
        raise Http404
    get_body_for_user(user, term.body_id, write=True)
    return term


def _save(kind: OrgKind, form, by) -> None:
    if kind.model is SectorGroup:
        # A group's convenor and liaison see its members' records: audited.
        with transaction.atomic():
            sector_group_save(by=by, group=form.save(commit=False))
            form.save_m2m()
    else:
        form.save()


def _object_for_write(user, kind: OrgKind, pk):
    obj = kind.model.objects.filter(pk=pk).first()
    if obj is None:
        raise Http404
    get_body_for_user(user, _body_id_of(obj), write=True)
    return obj


@login_required
@GET_POST
def org_create(request, kind, parent_pk):
    k = _kind(kind)
    parent = _parent_for_write(request.user, k, parent_pk)
    instance = k.model(**{k.parent: parent})
    form = k.form(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        _save(k, form, request.user)
        messages.success(request, _("已添加%(what)s") % {"what": k.model._meta.verbose_name})
        return redirect(_back(parent))
    return render(
        request,
        "sectors/org_form.html",
        {"form": form, "what": k.model._meta.verbose_name, "object": None},
    )


@login_required
@GET_POST
def org_edit(request, kind, pk):
    k = _kind(kind)
    obj = _object_for_write(request.user, k, pk)
    form = k.form(request.POST or None, instance=obj)
    if request.method == "POST" and form.is_valid():
        _save(k, form, request.user)
        messages.success(request, _("已保存"))
        return redirect(_back(obj))
    return render(
        request,
        "sectors/org_form.html",
        {"form": form, "what": k.model._meta.verbose_name, "object": obj, "kind_name": kind},
    )


@login_required
@require_POST
def org_delete(request, kind, pk):
    k = _kind(kind)
    obj = _object_for_write(request.user, k, pk)
    back = _back(obj) if k.parent == "term" else reverse("sectors:body", args=[_body_id_of(obj)])
    try:
        obj.delete()
    except ProtectedError:
        messages.error(request, _("%(what)s仍有委员或记录,不能删除") % {"what": obj})
    else:
        messages.success(request, _("已删除"))
    return redirect(back)
