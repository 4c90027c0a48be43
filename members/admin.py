from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.shortcuts import redirect
from django.urls import reverse
from import_export.admin import ImportExportModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from members import services
from members.models import AuditLog, BodyRole, ExportLog, Honour, Member, Notice, Person
from members.permissions import require_permission
from members.roster import MemberResource, roster_export_response


@admin.register(Person)
class PersonAdmin(SimpleHistoryAdmin):
    list_display = ("name", "gender", "party", "mobile", "workplace", "title", "user")
    list_filter = ("gender", "party")
    search_fields = ("name", "mobile", "workplace")
    raw_id_fields = ("user",)
    # The photo is uploaded on the member's page, where its type is sniffed.
    exclude = ("photo",)


@admin.register(Member)
class MemberAdmin(ImportExportModelAdmin, SimpleHistoryAdmin):
    resource_classes = [MemberResource]
    list_display = (
        "number",
        "person",
        "term",
        "sector",
        "group",
        "is_standing",
        "joined_on",
        "left_on",
    )
    list_filter = ("term__body", "term", "is_standing", "join_kind", "left_reason")
    search_fields = ("number", "person__name", "person__mobile")
    list_select_related = ("person", "term__body", "sector", "group")
    autocomplete_fields = ("person",)
    filter_horizontal = ("committees",)

    actions = ["export_roster"]

    @admin.action(description="导出所选委员的花名册(Excel)")
    def export_roster(self, request, queryset):
        # The same formatted, formula-safe and logged sheet as the roster page,
        # scoped by the same visibility rule.
        require_permission(request.user, "members.export_roster")
        scoped = Member.objects.visible_to(request.user).filter(pk__in=queryset.values("pk"))
        return roster_export_response(user=request.user, queryset=scoped, filters="admin: selected")

    def export_action(self, request, **kwargs):
        # One export path too: the roster page's, for the term filtered on here.
        term = request.GET.get("term__id__exact")
        url = reverse("members:roster_export")
        return redirect(f"{url}?term={term}" if term else url)

    def import_action(self, request, **kwargs):
        # One import path: the roster page checks size, formulas and every row
        # for a chosen term before anything is written.
        return redirect("members:roster_import")


@admin.register(Honour)
class HonourAdmin(admin.ModelAdmin):
    list_display = ("title", "person", "level", "awarded_on")
    list_filter = ("level",)
    search_fields = ("title", "person__name")
    autocomplete_fields = ("person",)


@admin.register(BodyRole)
class BodyRoleAdmin(SimpleHistoryAdmin):
    list_display = ("user", "body", "role")
    list_filter = ("role", "body")
    search_fields = ("user__username",)
    raw_id_fields = ("user",)

    # Every grant, change and revocation goes through the audited services.
    def save_model(self, request, obj, form, change):
        services.body_role_save(by=request.user, body_role=obj)

    def delete_model(self, request, obj):
        services.body_role_delete(by=request.user, body_role=obj)

    def delete_queryset(self, request, queryset):
        for body_role in queryset:
            services.body_role_delete(by=request.user, body_role=body_role)


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class AuditedUserAdmin(UserAdmin):
    """Django's user admin, with the staff and superuser flags, groups and single
    permissions it changes written to the audit log."""

    def save_model(self, request, obj, form, change):
        # Read before the save; save_related (groups, permissions) comes after.
        form.access_before = services.user_access_snapshot(user_id=obj.pk)
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.user_access_audit(by=request.user, user=form.instance, before=form.access_before)


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ("title", "person", "created_at", "read_at")
    search_fields = ("title", "person__name", "key")
    raw_id_fields = ("person",)


class ReadOnlyTrailAdmin(admin.ModelAdmin):
    """Rows only the app writes (the audit trails; scoring's messages waiting
    for the broker): administrators read them, nobody adds, edits or deletes a
    row (not even a superuser), and Django staff without the superuser flag
    do not see them at all."""

    date_hierarchy = "created_at"
    list_per_page = 100

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExportLog)
class ExportLogAdmin(ReadOnlyTrailAdmin):
    """The personal-data export log."""

    list_display = ("created_at", "user", "what", "rows", "filters")
    list_filter = ("what", ("user", admin.RelatedOnlyFieldListFilter), "created_at")
    list_select_related = ("user",)
    search_fields = ("user__username", "what", "filters")


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyTrailAdmin):
    """Role changes: office roles, admin flags, group convenors, permissions."""

    list_display = ("created_at", "kind", "by_name", "target", "subject", "before", "after")
    list_filter = (
        "kind",
        ("by", admin.RelatedOnlyFieldListFilter),
        ("user", admin.RelatedOnlyFieldListFilter),
        "created_at",
    )
    search_fields = ("by_name", "target", "subject", "before", "after")
