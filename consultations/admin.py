from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from consultations.models import (
    Consultation,
    FollowUp,
    OnlineComment,
    OnlineConsultation,
    OutsideParticipant,
    Suggestion,
)


class OutsideParticipantInline(admin.TabularInline):
    model = OutsideParticipant
    extra = 0


class SuggestionInline(admin.TabularInline):
    model = Suggestion
    extra = 0
    raw_id_fields = ("raised_by_member", "created_by")


class FollowUpInline(admin.TabularInline):
    model = FollowUp
    extra = 0
    raw_id_fields = ("by",)


@admin.register(Consultation)
class ConsultationAdmin(SimpleHistoryAdmin):
    list_display = ("topic", "member_convenor", "official_convenor_unit", "status", "solved_at")
    list_filter = ("status",)
    search_fields = ("topic", "official_convenor_name", "official_convenor_unit")
    raw_id_fields = ("activity", "member_convenor", "solved_by", "created_by")
    inlines = [OutsideParticipantInline, SuggestionInline, FollowUpInline]


class OnlineCommentInline(admin.TabularInline):
    model = OnlineComment
    extra = 0
    raw_id_fields = ("member", "hidden_by")


@admin.register(OnlineConsultation)
class OnlineConsultationAdmin(admin.ModelAdmin):
    list_display = ("topic", "body", "opens_at", "closes_at")
    list_filter = ("body",)
    search_fields = ("topic",)
    raw_id_fields = ("activity", "created_by")
    inlines = [OnlineCommentInline]
