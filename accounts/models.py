from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.prefectures import PREFECTURES
from accounts.text import clean_line


class OrganisationType(models.TextChoices):
    NATIONAL = "national", _("National office")
    PREFECTURE_CENTRE = "prefecture_centre", _("Prefectural centre")
    CITY_CENTRE = "city_centre", _("Designated-city centre")
    MUNICIPAL = "municipal", _("Municipal station or window")
    NPO = "npo", _("Contracted NPO")


class Role(models.TextChoices):
    WORKER = "worker", _("Support worker")
    PEER = "peer", _("Peer supporter")
    EXPERT = "expert", _("Expert")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")


class Profession(models.TextChoices):
    PSW = "psw", _("Mental health social worker")
    CERTIFIED_PSYCHOLOGIST = "certified_psychologist", _("Certified public psychologist")
    CLINICAL_PSYCHOLOGIST = "clinical_psychologist", _("Clinical psychologist")
    PHYSICIAN = "physician", _("Physician")
    LAWYER = "lawyer", _("Lawyer")
    SOCIAL_WORKER = "social_worker", _("Certified social worker")
    PUBLIC_HEALTH_NURSE = "public_health_nurse", _("Public health nurse")
    NURSE = "nurse", _("Nurse")
    OTHER = "other", _("Other")


class Specialty(models.TextChoices):
    MENTAL_HEALTH = "mental_health", _("Mental health")
    FAMILY_VIOLENCE = "family_violence", _("Family violence and abuse")
    LAW = "law", _("Law")
    WELFARE = "welfare", _("Welfare and poverty")
    DEVELOPMENT = "development", _("Developmental disabilities")
    SUICIDE_PREVENTION = "suicide_prevention", _("Suicide prevention")
    BURNOUT = "burnout", _("Burnout and self-care")


class Organisation(models.Model):
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    org_type = models.CharField(_("type"), max_length=32, choices=OrganisationType.choices)
    prefecture = models.CharField(_("prefecture"), max_length=2, choices=PREFECTURES)
    municipality_code = models.CharField(
        _("municipality code"),
        max_length=6,
        blank=True,
        validators=[RegexValidator(r"^\d{6}$", _("Six digits (local government code)."))],
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["prefecture", "name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **fields: Any) -> User:
        user = self.model(username=username, **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **fields: Any) -> User:
        fields["role"] = Role.ADMIN
        if isinstance(fields.get("organisation"), int):
            fields["organisation"] = Organisation.objects.get(pk=fields["organisation"])
        return self.create_user(username, password, **fields)


def _validate_codes(values: Any, allowed: type[models.TextChoices], label: str) -> None:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValidationError(_("%(label)s must be a list of codes."), params={"label": label})
    unknown = sorted(set(values) - set(allowed.values))
    if unknown:
        raise ValidationError(
            _("Unknown %(label)s: %(codes)s"), params={"label": label, "codes": ", ".join(unknown)}
        )


def validate_professions(values: Any) -> None:
    _validate_codes(values, Profession, str(_("profession")))


def validate_specialties(values: Any) -> None:
    _validate_codes(values, Specialty, str(_("specialty")))


class User(AbstractBaseUser):
    """A person using the service. Only the admin role reaches the Django admin."""

    username = models.CharField(
        _("username"), max_length=150, unique=True, validators=[UnicodeUsernameValidator()]
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="members", verbose_name=_("organisation")
    )
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    professions = models.JSONField(
        _("professions"), default=list, blank=True, validators=[validate_professions]
    )
    specialties = models.JSONField(
        _("specialties"), default=list, blank=True, validators=[validate_specialties]
    )
    pseudonym = models.CharField(
        _("pseudonym"), max_length=50, blank=True, help_text=_("Shown to responders instead of the name.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["role", "organisation"]

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["pseudonym"],
                condition=~models.Q(pseudonym=""),
                name="unique_pseudonym_when_set",
                violation_error_message=_("This pseudonym is already used by another account."),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username

    def clean(self) -> None:
        """Names are shown to others: no bidi, zero-width or control characters (accounts.text)."""
        super().clean()
        self.display_name = clean_line(self.display_name)
        self.pseudonym = clean_line(self.pseudonym)

    @property
    def is_responder(self) -> bool:
        return self.role in (Role.PEER, Role.EXPERT, Role.SUPERVISOR)

    # The admin role is the only staff; it holds every model permission in the admin.
    @property
    def is_staff(self) -> bool:
        return self.is_active and self.role == Role.ADMIN

    @property
    def is_superuser(self) -> bool:
        return self.is_staff

    def has_perm(self, perm: str, obj: object = None) -> bool:
        return self.is_staff

    def has_perms(self, perm_list: Any, obj: object = None) -> bool:
        return self.is_staff

    def has_module_perms(self, app_label: str) -> bool:
        return self.is_staff

    def get_full_name(self) -> str:
        return self.display_name or self.username

    def get_short_name(self) -> str:
        return self.display_name or self.username


class AuditAction(models.TextChoices):
    LOGIN = "login", _("Logged in")
    LOGOUT = "logout", _("Logged out")
    LOGIN_FAILED = "login_failed", _("Login failed")
    OTP_FAILED = "otp_failed", _("Verification code rejected")
    OTP_ENROLLED = "otp_enrolled", _("Two-factor enrolled")
    BACKUP_CODES_ISSUED = "backup_codes_issued", _("Backup codes issued")
    BACKUP_CODE_USED = "backup_code_used", _("Backup code used")
    LOCKED_OUT = "locked_out", _("Locked out")
    ACCOUNT_CREATED = "account_created", _("Account created")
    ACCOUNT_UPDATED = "account_updated", _("Account updated")
    INVITATION_ISSUED = "invitation_issued", _("Invitation issued")
    PASSWORD_SET = "password_set", _("Password set")


class AuditEvent(models.Model):
    """Who did what to which object, when. Never free text."""

    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("actor")
    )
    # Each app names its own actions (accounts.AuditAction, helpdesk.HelpdeskAction ...).
    action = models.CharField(_("action"), max_length=40, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, blank=True)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    request_id = models.CharField(_("request id"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}:{self.object_id}"


class AccessToken(models.Model):
    """A personal access token for the JSON API. Only its SHA-256 hash is stored."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="access_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("access token")
        verbose_name_plural = _("access tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
