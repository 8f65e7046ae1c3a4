"""Fictional people, organisations, consultations and two-factor sessions in the bench database.

Imported after django.setup(). Rooms are made through the services (consultation_create, claim), so
they are routed, timed and audited as in production; the bulk rows (accounts, sessions, the shared
claim queue, conference invitations) are inserted directly but with valid values. All names and
texts are invented.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Organisation, OrganisationType, Role, User
from accounts.sessions import SessionStore
from bench.data import Fixtures, Member, Room
from helpdesk import workflow
from helpdesk.choices import Category, Priority, Status
from helpdesk.models import ConferenceInvite, Consultation, ConsultationEvent, EventKind, Queue
from helpdesk.services import CaseFacts, consultation_create
from peer.models import ResponderProfile

SESSION_BACKEND = "django.contrib.auth.backends.ModelBackend"
SESSION_KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
QUESTIONS = [
    "（架空の相談）訪問しても本人が部屋から出てきません。次の一歩を一緒に考えてください。",
    "（架空の相談）家族面談の進め方に迷っています。",
    "（架空の相談）夜遅くまで対応が続き、疲れが取れません。",
]


class Maker:
    def __init__(self, seed: int = 8) -> None:
        self.random = random.Random(seed)
        self.password = make_password(None)  # unusable: nobody logs in with a password here
        self.store = SessionStore()
        self.serial = 0

    def organisation(self, kind: str) -> Organisation:
        self.serial += 1
        return Organisation.objects.create(
            slug=f"bench-{kind}-{self.serial}",
            name=f"ベンチ架空{'支援' if kind == 'worker' else '応答'}センター{self.serial}",
            org_type=OrganisationType.NPO,
            prefecture="14",
        )

    def users(self, role: str, count: int, organisation: Organisation, prefix: str) -> list[User]:
        users = [
            User(
                username=f"bench-{prefix}-{n:05d}",
                role=role,
                organisation=organisation,
                display_name=f"架空{prefix}{n:05d}",
                password=self.password,
            )
            for n in range(count)
        ]
        created = User.objects.bulk_create(users, batch_size=1000)
        if role in (Role.PEER, Role.EXPERT, Role.SUPERVISOR):
            ResponderProfile.objects.bulk_create(
                [ResponderProfile(user=u, on_duty=True, capacity=20) for u in created], batch_size=1000
            )
        return created

    def members(self, users: list[User]) -> list[Member]:
        """A confirmed TOTP device and a session that passed two-factor login, per user."""
        devices = TOTPDevice.objects.bulk_create(
            [TOTPDevice(user=u, name="ベンチ用認証アプリ", confirmed=True) for u in users], batch_size=1000
        )
        expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
        sessions, members = [], []
        for user, device in zip(users, devices, strict=True):
            key = get_random_string(32, SESSION_KEY_CHARS)
            data = {
                SESSION_KEY: str(user.pk),
                BACKEND_SESSION_KEY: SESSION_BACKEND,
                HASH_SESSION_KEY: user.get_session_auth_hash(),
                DEVICE_ID_SESSION_KEY: device.persistent_id,
            }
            sessions.append(
                Session(session_key=key, session_data=self.store.encode(data), expire_date=expires)
            )
            members.append(Member(user.pk, user.role, f"{settings.SESSION_COOKIE_NAME}={key}"))
        Session.objects.bulk_create(sessions, batch_size=1000)
        return members


def make_rooms(maker: Maker, rooms: int, experts_per_room: int) -> list[Room]:
    """Each room: a worker files through the service, a peer claims it, experts are invited."""
    worker_org, responder_org = maker.organisation("worker"), maker.organisation("responder")
    workers = maker.users(Role.WORKER, rooms, worker_org, "worker")
    peers = maker.users(Role.PEER, rooms, responder_org, "peer")
    experts = maker.users(Role.EXPERT, rooms * experts_per_room, responder_org, "expert")
    worker_m, peer_m, expert_m = maker.members(workers), maker.members(peers), maker.members(experts)
    result = []
    invites, events = [], []
    expires = timezone.now() + timedelta(hours=72)
    for n, (worker, peer) in enumerate(zip(workers, peers, strict=True)):
        facts = CaseFacts(category=Category.BURNOUT, question=QUESTIONS[n % len(QUESTIONS)])
        consultation = consultation_create(actor=worker, facts=facts)
        workflow.claim(actor=peer, consultation_id=consultation.pk)
        invited = experts[n * experts_per_room : (n + 1) * experts_per_room]
        for expert in invited:
            # As conference_invite() writes them, without a service call (and its doorbell) per row.
            invites.append(
                ConferenceInvite(
                    consultation=consultation, invitee=expert, invited_by=peer, expires_at=expires
                )
            )
            events.append(
                ConsultationEvent(
                    consultation=consultation, kind=EventKind.CONFERENCE, actor=peer, target=expert
                )
            )
        members = [worker_m[n], peer_m[n], *expert_m[n * experts_per_room : (n + 1) * experts_per_room]]
        result.append(Room(consultation.pk, members))
    ConferenceInvite.objects.bulk_create(invites, batch_size=1000)
    ConsultationEvent.objects.bulk_create(events, batch_size=1000)
    return result


def make_claim_queue(maker: Maker, fixtures: Fixtures, size: int, responders: int) -> None:
    """A shared peer queue of `size` received consultations and on-duty peers of another organisation."""
    queue = Queue.objects.get(slug="peer")
    fixtures.peer_queue_id = queue.pk
    worker_ids = [room.members[0].user_id for room in fixtures.rooms]
    now = timezone.now()
    rows = [
        Consultation(
            worker_id=worker_ids[n % len(worker_ids)],
            category=Category.BURNOUT,
            question=QUESTIONS[n % len(QUESTIONS)],
            priority=Priority.HIGH if maker.random.random() < 0.1 else Priority.NORMAL,
            status=Status.RECEIVED,
            queue=queue,
            created_at=now - timedelta(seconds=size - n),
        )
        for n in range(size)
    ]
    created = Consultation.objects.bulk_create(rows, batch_size=2000)
    fixtures.claim_queue = [c.pk for c in created]
    peers = maker.users(Role.PEER, responders, maker.organisation("responder"), "claimer")
    fixtures.claim_peers = [p.pk for p in peers]


def make_notification_members(maker: Maker, fixtures: Fixtures, group: int, others: int) -> None:
    org = maker.organisation("responder")
    fixtures.group_members = maker.members(maker.users(Role.PEER, group, org, "listener"))
    worker_org = maker.organisation("worker")
    fixtures.other_members = maker.members(maker.users(Role.WORKER, others, worker_org, "idle"))


def build(
    *, rooms: int, experts_per_room: int, queue: int, responders: int, group: int, others: int
) -> Fixtures:
    maker = Maker()
    fixtures = Fixtures(rooms=make_rooms(maker, rooms, experts_per_room))
    make_claim_queue(maker, fixtures, queue, responders)
    make_notification_members(maker, fixtures, group, others)
    return fixtures
