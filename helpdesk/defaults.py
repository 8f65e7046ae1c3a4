"""The queues and routing rules every installation starts with (admins edit them afterwards)."""

from __future__ import annotations

from typing import Any

# slug, name, kind, specialty, min training level for peers, escalates to
QUEUES: list[tuple[str, str, str, str, str, str]] = [
    ("supervisor", "スーパーバイザー", "supervisor", "", "novice", ""),
    ("urgent", "緊急対応", "expert", "", "novice", "supervisor"),
    ("expert-general", "専門職（総合）", "expert", "", "novice", "supervisor"),
    ("expert-mental-health", "専門職：精神保健", "expert", "mental_health", "novice", "supervisor"),
    ("expert-violence", "専門職：家庭内暴力・虐待", "expert", "family_violence", "novice", "supervisor"),
    ("expert-law", "専門職：法律", "expert", "law", "novice", "supervisor"),
    ("expert-welfare", "専門職：福祉・生活困窮", "expert", "welfare", "novice", "supervisor"),
    ("expert-development", "専門職：発達障害", "expert", "development", "novice", "supervisor"),
    ("peer", "ピア相談（傾聴・バーンアウト・日常の悩み）", "peer", "", "novice", "expert-general"),
]

# order, conditions, queue slug, minimum priority
RULES: list[tuple[int, dict[str, Any], str, str]] = [
    (10, {"urgent_only": True}, "urgent", "urgent"),
    (20, {"subtype": "suicidal_self_harm"}, "expert-mental-health", "high"),
    (30, {"subtype": "domestic_violence"}, "expert-violence", "high"),
    (31, {"subtype": "abuse"}, "expert-violence", "high"),
    (40, {"requested_profession": "lawyer"}, "expert-law", "normal"),
    (41, {"subtype": "legal"}, "expert-law", "normal"),
    (50, {"subtype": "poverty"}, "expert-welfare", "normal"),
    (60, {"subtype": "developmental"}, "expert-development", "normal"),
    (70, {"subtype": "suspected_mental_illness"}, "expert-mental-health", "normal"),
    (80, {"requested_responder": "peer"}, "peer", "normal"),
    (90, {"category": "hard_case"}, "expert-general", "normal"),
    (91, {"requested_responder": "expert"}, "expert-general", "normal"),
    (100, {"category": "system"}, "expert-general", "normal"),
    (1000, {}, "peer", "normal"),
]


def install(queue_model: Any, rule_model: Any) -> None:
    """Create the default queues and rules where missing (idempotent; used by a data migration)."""
    by_slug = {}
    for slug, name, kind, specialty, level, _ in QUEUES:
        queue, _created = queue_model.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "kind": kind, "specialty": specialty, "min_training_level": level},
        )
        by_slug[slug] = queue
    for slug, *_rest, escalates_to in QUEUES:
        if escalates_to and by_slug[slug].escalates_to_id is None:
            by_slug[slug].escalates_to = by_slug[escalates_to]
            by_slug[slug].save(update_fields=["escalates_to"])
    if rule_model.objects.exists():
        return
    for order, conditions, slug, min_priority in RULES:
        rule_model.objects.create(order=order, queue=by_slug[slug], min_priority=min_priority, **conditions)
