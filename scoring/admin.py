"""What administrators may look at in the scoring app's tables directly: the
messages waiting for the broker (scoring/pending.py). Rulebooks, scores and
reviews have pages of their own."""

from django.contrib import admin

from members.admin import ReadOnlyTrailAdmin
from scoring.models import PendingTask


@admin.register(PendingTask)
class PendingTaskAdmin(ReadOnlyTrailAdmin):
    """Beat sends each row again every minute and deletes it once the broker
    takes it, so a row that stays (attempts growing, the last error beside it)
    tells an administrator the broker is still down. Nobody deletes one by
    hand: that would lose the work."""

    list_display = ("created_at", "task", "kwargs", "attempts", "last_error")
    list_filter = ("task",)
