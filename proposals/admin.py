"""Read-mostly admin for proposals: the lifecycle is changed only through the
services, so status, numbers and proposers are read-only here."""

from django.contrib import admin

from proposals.models import (
    HandlingUnit,
    Proposal,
    ProposalAttachment,
    ProposalEvent,
    ProposalNumber,
    Proposer,
    Topic,
)
from summaries.admin import export_proposals


@admin.register(HandlingUnit)
class HandlingUnitAdmin(admin.ModelAdmin):
    list_display = ["name", "body", "is_active"]
    list_filter = ["body", "is_active"]
    search_fields = ["name"]
    filter_horizontal = ["contacts"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["title", "session", "status", "created_at"]
    list_filter = ["status", "session"]
    search_fields = ["title"]
    raw_id_fields = ["member", "group", "created_by"]


class ProposerInline(admin.TabularInline):
    model = Proposer
    extra = 0
    can_delete = False
    readonly_fields = ["member", "role", "status", "order", "invited_at", "answered_at"]

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = ProposalEvent
    extra = 0
    can_delete = False
    readonly_fields = ["at", "by", "verb", "from_status", "to_status", "note"]

    def has_add_permission(self, request, obj=None):
        return False


class AttachmentInline(admin.TabularInline):
    model = ProposalAttachment
    extra = 0
    readonly_fields = ["name", "content_type", "size"]
    exclude = ["file"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    actions = [export_proposals]  # the export page's sheet (summaries/admin.py)
    list_display = ["title", "number", "session", "kind", "status", "is_key", "is_excellent"]
    list_filter = ["status", "kind", "is_key", "is_excellent", "session"]
    search_fields = ["title", "number"]
    readonly_fields = [
        "status",
        "number",
        "merged_into",
        "converted_to",
        "submitted_at",
        "accepted_at",
        "closed_at",
        "created_by",
        "created_at",
        "cosign_deadline",
    ]
    raw_id_fields = ["topic", "proposer_group"]
    inlines = [ProposerInline, AttachmentInline, EventInline]


@admin.register(ProposalNumber)
class ProposalNumberAdmin(admin.ModelAdmin):
    list_display = ["session", "kind", "last"]
    readonly_fields = ["session", "kind", "last"]
