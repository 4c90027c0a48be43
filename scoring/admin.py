"""What administrators may look at in the scoring app's tables directly: the
messages waiting for the broker (scoring/pending.py). Rulebooks, scores and
reviews have pages of their own."""

from django.contrib import admin

from scoring.models import PendingTask


@admin.register(PendingTask)
class PendingTaskAdmin(admin.ModelAdmin):
    """Read only, for superusers: beat sends each row again every minute and
    deletes it once the broker takes it, so a row that stays (attempts
    growing, the last error beside it) tells an administrator the broker is
    still down. Nobody deletes one by hand: that would lose the work."""

    list_display = ("created_at", "task", "kwargs", "attempts", "last_error")
    list_filter = ("task",)
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
