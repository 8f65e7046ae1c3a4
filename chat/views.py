from __future__ import annotations

import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role, User
from chat import services
from chat.export import data_export
from helpdesk import deid
from helpdesk.intake import LABEL_NAMES
from helpdesk.selectors import consultation_list_for
from peer import circles
from peer.models import Circle


@never_cache
def unread_view(request: HttpRequest) -> JsonResponse:
    """Unread message counts for the consultations this person may see (the list page's badges)."""
    user = request.user
    assert isinstance(user, User)
    ids = list(consultation_list_for(actor=user).values_list("pk", flat=True)[:200])
    counts = services.unread_counts(actor=user, consultation_ids=ids)
    return JsonResponse({"unread": {str(k): v for k, v in counts.items() if v}})


@require_GET
def my_data_view(request: HttpRequest) -> HttpResponse:
    """「自分のデータをダウンロード」: the person's own data as one JSON file (audited by the service)."""
    user = request.user
    assert isinstance(user, User)
    document = json.dumps(data_export(actor=user), ensure_ascii=False, indent=2)
    filename = f"soudan-my-data-{timezone.localdate():%Y%m%d}.json"
    response = HttpResponse(document, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # personal data: no browser or proxy keeps a copy
    return response


@require_POST
def message_check_view(request: HttpRequest) -> JsonResponse:
    """The composer's warning for circle messages: identifiers found in the text (labels only)."""
    text = request.POST.get("text", "")[:4000]
    found = [{"label": s.label, "label_name": LABEL_NAMES.get(s.label, s.label)} for s in deid.detect(text)]
    return JsonResponse({"found": found})


def circles_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if request.method == "POST":
        moderator = User.objects.filter(pk=request.POST.get("moderator") or 0).first()
        try:
            if moderator is None:
                raise ValueError("moderator_not_eligible")
            circle = circles.circle_create(actor=user, name=request.POST.get("name", ""), moderator=moderator)
        except PermissionDenied:
            raise
        except ValueError:
            messages.error(request, _("Give the circle a name and a trained peer supporter as moderator."))
        else:
            return redirect("chat:circle", circle_id=circle.pk)
    context = {
        "circles": circles.circles_for(actor=user),
        "may_create": user.role in (Role.SUPERVISOR, Role.ADMIN),
        "moderators": User.objects.filter(is_active=True, role__in=[Role.PEER, Role.SUPERVISOR]).order_by(
            "display_name"
        )[:200],
    }
    return render(request, "chat/circles.html", context)


def circle_view(request: HttpRequest, circle_id: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    role = circles.circle_role_for(actor=user, circle_id=circle_id)
    if role is None:
        raise Http404
    circle = Circle.objects.get(pk=circle_id)
    if request.method == "POST":
        member = User.objects.filter(
            username=request.POST.get("username", "").strip(), is_active=True
        ).first()
        try:
            if member is None:
                raise ValueError("unknown")
            circles.circle_member_add(actor=user, circle_id=circle_id, user=member)
        except (ValueError, PermissionDenied):
            messages.error(request, _("That person cannot be added."))
        else:
            messages.success(request, _("Added to the circle."))
        return redirect("chat:circle", circle_id=circle_id)
    context = {
        "circle": circle,
        "role": role,
        "members": circle.memberships.select_related("user").order_by("joined_at"),
        "ws_path": f"/ws/circles/{circle.pk}/",
    }
    return render(request, "chat/circle.html", context)
