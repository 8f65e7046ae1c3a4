from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from accounts.models import User
from chat import services
from helpdesk.selectors import consultation_list_for


@never_cache
def unread_view(request: HttpRequest) -> JsonResponse:
    """Unread message counts for the consultations this person may see (the list page's badges)."""
    user = request.user
    assert isinstance(user, User)
    ids = list(consultation_list_for(actor=user).values_list("pk", flat=True)[:200])
    counts = services.unread_counts(actor=user, consultation_ids=ids)
    return JsonResponse({"unread": {str(k): v for k, v in counts.items() if v}})
