from django.contrib import admin

from reports.models import (
    ReportAdoption,
    ReportAttachment,
    ReportEvent,
    ReportInstruction,
    SocialInfoReport,
)
from summaries.admin import export_reports


class AttachmentInline(admin.TabularInline):
    """Attachments are uploaded with the report, where their type is sniffed;
    here they are only listed (the file is served by the report's view)."""

    model = ReportAttachment
    extra = 0
    readonly_fields = ["name", "content_type", "size"]
    exclude = ["file"]

    def has_add_permission(self, request, obj=None):
        return False


class AdoptionInline(admin.TabularInline):
    model = ReportAdoption
    extra = 0
    raw_id_fields = ("created_by",)


class InstructionInline(admin.TabularInline):
    model = ReportInstruction
    extra = 0
    raw_id_fields = ("created_by",)


class EventInline(admin.TabularInline):
    model = ReportEvent
    extra = 0
    raw_id_fields = ("by",)


@admin.register(SocialInfoReport)
class SocialInfoReportAdmin(admin.ModelAdmin):
    actions = [export_reports]  # the export page's sheet (summaries/admin.py)
    list_display = ("title", "body", "status", "submitted_at", "bulletin_year", "bulletin_issue")
    list_filter = ("status", "body")
    search_fields = ("title",)
    raw_id_fields = ("author_member", "author_group", "from_proposal", "created_by", "term")
    inlines = [AttachmentInline, AdoptionInline, InstructionInline, EventInline]
