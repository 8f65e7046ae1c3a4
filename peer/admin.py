"""Admin: profiles with their weekly shifts, training records, queue gates. Never the self-checks."""

from django.contrib import admin

from peer.models import QueueGate, ResponderProfile, ShiftSlot, TrainingRecord


class ShiftInline(admin.TabularInline[ShiftSlot, ResponderProfile]):
    model = ShiftSlot
    extra = 0


@admin.register(ResponderProfile)
class ResponderProfileAdmin(admin.ModelAdmin[ResponderProfile]):
    list_display = ["user", "on_duty", "training_level", "capacity", "heavy_weekly_cap", "last_active_at"]
    list_filter = ["on_duty", "training_level"]
    search_fields = ["user__username", "user__display_name"]
    list_select_related = ["user"]
    readonly_fields = ["status_changed_at", "last_active_at", "training_level"]
    inlines = [ShiftInline]


@admin.register(TrainingRecord)
class TrainingRecordAdmin(admin.ModelAdmin[TrainingRecord]):
    """Read-only here: records are written through the training page so the profile level follows."""

    list_display = ["user", "level", "completed_on", "course", "recorded_by"]
    list_filter = ["level"]
    list_select_related = ["user", "recorded_by"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(QueueGate)
class QueueGateAdmin(admin.ModelAdmin[QueueGate]):
    list_display = ["queue_slug", "min_training_level"]
