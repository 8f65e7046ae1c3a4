"""Account writes. Each is atomic and leaves an audit row in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import AuditAction, Organisation, Role, User
from accounts.text import clean_line


@dataclass(frozen=True)
class AccountSpec:
    """What an admin states about an account (command line, CSV row or form)."""

    username: str
    role: str
    organisation_slug: str
    display_name: str = ""
    email: str = ""
    professions: tuple[str, ...] = ()
    specialties: tuple[str, ...] = ()
    pseudonym: str = ""


@dataclass
class AccountOutcome:
    user: User
    created: bool
    changed_fields: list[str] = field(default_factory=list)


def _organisation(slug: str) -> Organisation:
    try:
        return Organisation.objects.get(slug=slug, is_active=True)
    except Organisation.DoesNotExist:
        raise ValidationError(
            {"organisation": _("Unknown organisation: %(slug)s") % {"slug": slug}}
        ) from None


def account_apply(*, actor: User | None, spec: AccountSpec, password: str | None = None) -> AccountOutcome:
    """Create the account, or bring an existing one in line with the spec (idempotent)."""
    if spec.role not in Role.values:
        raise ValidationError({"role": _("Unknown role: %(role)s") % {"role": spec.role or "(empty)"}})
    organisation = _organisation(spec.organisation_slug)
    wanted = {
        "role": spec.role,
        "organisation": organisation,
        "display_name": clean_line(spec.display_name),  # as User.clean stores it: re-applying is a no-op
        "email": spec.email,
        "professions": sorted(spec.professions),
        "specialties": sorted(spec.specialties),
        "pseudonym": clean_line(spec.pseudonym),
    }
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=spec.username).first()
        created = user is None
        if user is None:
            user = User(username=spec.username)
        current = {name: getattr(user, name) for name in wanted if name != "organisation"}
        current["organisation"] = user.organisation_id and user.organisation
        changed = [name for name, value in wanted.items() if current[name] != value]
        for name in changed:
            setattr(user, name, wanted[name])
        if password is not None:
            validate_password(password, user)
            user.set_password(password)
        elif created:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        if created or changed or password is not None:
            user.save()
        if created:
            audit_record(action=AuditAction.ACCOUNT_CREATED, actor=actor, target=user)
        elif changed:
            audit_record(action=AuditAction.ACCOUNT_UPDATED, actor=actor, target=user)
        if password is not None and not created:
            audit_record(action=AuditAction.PASSWORD_SET, actor=actor, target=user)
    return AccountOutcome(user=user, created=created, changed_fields=[] if created else changed)


def invitation_path(*, actor: User | None, user: User) -> str:
    """A one-time link (valid PASSWORD_RESET_TIMEOUT) where the person sets their password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    audit_record(action=AuditAction.INVITATION_ISSUED, actor=actor, target=user)
    return reverse("accounts:invite", kwargs={"uidb64": uid, "token": token})
