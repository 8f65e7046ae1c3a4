"""The administrator's erasure of accounts, added to the User admin here because accounts never imports chat.

accounts/admin.py registers the User admin without Django's delete (it would cascade into, or stop at,
consultations and lose the anonymised record). This adds the one way to delete an account: an action
with a confirmation page that states what goes and what stays, then chat.export.account_erase.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.admin import UserAdmin
from accounts.export import account_delete_check
from accounts.models import User
from chat.export import ERASURE_DELETES, ERASURE_KEEPS, ErasureReport, account_erase

ERASE_ACTION = "erase_accounts"


class ErasingUserAdmin(UserAdmin):
    actions = [ERASE_ACTION]

    def has_erase_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return isinstance(user, User) and user.is_staff

    @admin.action(permissions=["erase"], description=gettext_lazy("Delete the selected accounts (anonymise)"))
    def erase_accounts(self, request: HttpRequest, queryset: QuerySet[User]) -> TemplateResponse | None:
        actor = request.user
        assert isinstance(actor, User)
        accounts = list(queryset.select_related("organisation").order_by("pk"))
        try:
            for user in accounts:
                account_delete_check(actor=actor, user=user)
        except PermissionDenied:
            if any(user.pk == actor.pk for user in accounts):
                refusal = _("You cannot delete your own account. Nothing was deleted.")
            else:
                refusal = _("Only an administrator deletes accounts. Nothing was deleted.")
            self.message_user(request, refusal, messages.ERROR)
            return None
        if request.POST.get("post") == "yes":
            total = ErasureReport()
            for user in accounts:
                report = account_erase(actor=actor, user=user)
                total.consultations += report.consultations
                total.messages += report.messages
                total.circle_messages += report.circle_messages
                total.self_checks += report.self_checks
            self.message_user(
                request,
                _(
                    "%(accounts)d account(s) deleted: texts of %(consultations)d consultation(s), "
                    "%(messages)d message(s), %(circle_messages)d circle message(s) and "
                    "%(self_checks)d self-check(s) erased."
                )
                % {
                    "accounts": len(accounts),
                    "consultations": len(total.consultations),
                    "messages": total.messages,
                    "circle_messages": total.circle_messages,
                    "self_checks": total.self_checks,
                },
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Delete accounts"),
            "subtitle": None,
            "accounts": accounts,
            "deletes": ERASURE_DELETES,
            "keeps": ERASURE_KEEPS,
            "opts": self.model._meta,
            "action_name": ERASE_ACTION,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/accounts/user/erase_confirmation.html", context)


admin.site.unregister(User)
admin.site.register(User, ErasingUserAdmin)
