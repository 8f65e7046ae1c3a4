from django.contrib import admin

from accounts.models import AuditEvent, Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "slug", "org_type", "prefecture", "is_active"]
    list_filter = ["org_type", "prefecture", "is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(User)
class UserAdmin(admin.ModelAdmin[User]):
    list_display = ["username", "display_name", "role", "organisation", "is_active", "last_login"]
    list_filter = ["role", "is_active", "organisation__org_type"]
    search_fields = ["username", "display_name"]
    fields = [
        "username",
        "display_name",
        "role",
        "organisation",
        "email",
        "professions",
        "specialties",
        "pseudonym",
        "is_active",
        "last_login",
        "date_joined",
    ]
    readonly_fields = ["last_login", "date_joined"]
    list_select_related = ["organisation"]

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Django's delete would cascade into (or stop at) consultations and lose the anonymised record;
        # accounts are erased through chat.export.account_erase (the action chat/admin.py adds).
        return False

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        from accounts.audit import audit_record
        from accounts.models import AuditAction

        if not change:
            obj.set_unusable_password()
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            from accounts.sockets import disconnect_user_on_commit

            disconnect_user_on_commit(obj.pk)
        audit_record(
            action=AuditAction.ACCOUNT_UPDATED if change else AuditAction.ACCOUNT_CREATED,
            actor=request.user,
            target=obj,
        )


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = ["created_at", "action", "actor", "object_type", "object_id", "request_id"]
    list_filter = ["action", "object_type"]
    list_select_related = ["actor"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
