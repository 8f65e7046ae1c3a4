"""Fictional demo organisations and accounts for the embedded pilot (never in production)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction

from accounts.models import Organisation, OrganisationType, Role, User
from accounts.services import AccountSpec, account_apply

DEMO_ORGANISATIONS = [
    ("demo-national", "【デモ】国 支援者支援事務局", OrganisationType.NATIONAL, "13"),
    (
        "demo-kanagawa-centre",
        "【デモ】神奈川県ひきこもり地域支援センター",
        OrganisationType.PREFECTURE_CENTRE,
        "14",
    ),
    ("demo-sapporo-centre", "【デモ】札幌市ひきこもり地域支援センター", OrganisationType.CITY_CENTRE, "01"),
    ("demo-minato-station", "【デモ】みなと町ひきこもり支援ステーション", OrganisationType.MUNICIPAL, "27"),
    ("demo-npo-hidamari", "【デモ】NPO法人ひだまり（委託先）", OrganisationType.NPO, "40"),
]

DEMO_ACCOUNTS = [
    AccountSpec("demo-worker", Role.WORKER, "demo-minato-station", "デモ 相談者", pseudonym="あおば"),
    AccountSpec("demo-peer", Role.PEER, "demo-npo-hidamari", "デモ ピアサポーター", specialties=("burnout",)),
    AccountSpec(
        "demo-expert",
        Role.EXPERT,
        "demo-sapporo-centre",
        "デモ 専門職",
        professions=("psw",),
        specialties=("mental_health", "suicide_prevention"),
    ),
    AccountSpec("demo-supervisor", Role.SUPERVISOR, "demo-kanagawa-centre", "デモ スーパーバイザー"),
    AccountSpec("demo-admin", Role.ADMIN, "demo-national", "デモ 管理者"),
]


def _demo_password(spec: AccountSpec) -> str:
    """A random password that the configured validators accept (retry the rare rejected draw)."""
    probe = User(username=spec.username, display_name=spec.display_name)
    for _ in range(20):
        password = secrets.token_urlsafe(12)
        try:
            validate_password(password, probe)
        except ValidationError:
            continue
        return password
    raise ImproperlyConfigured("The password validators rejected every generated demo password.")


def seed_demo() -> list[tuple[User, str]]:
    """Create what is missing; returns (account, password) for accounts created now only."""
    if not settings.DEMO_MODE:
        raise ImproperlyConfigured("Demo data is only allowed with DEMO_MODE on (never in production).")
    created: list[tuple[User, str]] = []
    with transaction.atomic():
        for slug, name, org_type, prefecture in DEMO_ORGANISATIONS:
            Organisation.objects.get_or_create(
                slug=slug, defaults={"name": name, "org_type": org_type, "prefecture": prefecture}
            )
        for spec in DEMO_ACCOUNTS:
            if User.objects.filter(username=spec.username).exists():
                continue
            password = _demo_password(spec)
            outcome = account_apply(actor=None, spec=spec, password=password)
            created.append((outcome.user, password))
    return created
