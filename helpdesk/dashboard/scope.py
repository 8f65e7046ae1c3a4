"""Who may see the dashboard, and which consultations it counts for them.

Supervisors see consultations filed by workers of their own organisation or of any organisation in
their prefecture; a supervisor of the national office (organisation type `national`) sees all.
Every other role, the administrator included, is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from accounts.models import OrganisationType, Role, User


@dataclass(frozen=True)
class Scope:
    national: bool
    organisation_id: int
    prefecture: str

    def consultations(self, prefix: str = "") -> Q:
        """Consultations in scope; `prefix` reaches them from a related model ("consultation__")."""
        if self.national:
            return Q()
        return Q(**{f"{prefix}worker__organisation_id": self.organisation_id}) | Q(
            **{f"{prefix}worker__organisation__prefecture": self.prefecture}
        )

    def holds(self, *, organisation_id: int, prefecture: str) -> bool:
        """The same rule in Python, for rows already read."""
        return self.national or organisation_id == self.organisation_id or prefecture == self.prefecture

    def organisations(self, prefix: str = "") -> Q:
        """Organisations in scope (for responders' own organisation); `prefix` e.g. "user__organisation__"."""
        if self.national:
            return Q()
        return Q(**{f"{prefix}pk": self.organisation_id}) | Q(**{f"{prefix}prefecture": self.prefecture})


def scope_for(*, actor: User) -> Scope:
    """The actor's dashboard scope; PermissionDenied for anyone but an active supervisor."""
    if not actor.is_active or actor.role != Role.SUPERVISOR:
        raise PermissionDenied("the dashboard is for supervisors")
    organisation = actor.organisation
    return Scope(
        national=organisation.org_type == OrganisationType.NATIONAL,
        organisation_id=organisation.pk,
        prefecture=organisation.prefecture,
    )
