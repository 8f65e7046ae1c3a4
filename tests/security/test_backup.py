"""Backups: a pg_dump restores into an empty database with every message (docs/operations.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection

from accounts.models import AuditEvent, Role, User
from chat import services as chat
from chat.models import Message, MessageKind
from helpdesk import workflow
from helpdesk.models import Consultation
from helpdesk.services import CaseFacts, consultation_create
from tests.security.conftest import on_duty

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
TOOLS = ("pg_dump", "pg_restore", "createdb", "dropdb")


@pytest.fixture
def pg() -> dict[str, str]:
    if connection.vendor != "postgresql":
        pytest.skip("the backup procedure is for PostgreSQL; make test runs on it")
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"PostgreSQL client tools are required: {missing} (apt-get install postgresql-client)")
    db = connection.settings_dict
    return {
        "host": db["HOST"] or "127.0.0.1",
        "port": str(db["PORT"] or 5432),
        "user": db["USER"] or "postgres",
        "password": db.get("PASSWORD") or "",
        "name": db["NAME"],
    }


def run(pg: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PGPASSWORD": pg["password"]} if pg["password"] else dict(os.environ)
    args = [*command, "-h", pg["host"], "-p", pg["port"], "-U", pg["user"]]
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


@pytest.fixture
def empty_database(pg: dict[str, str]) -> Iterator[str]:
    name = f"{pg['name']}_restore_{uuid.uuid4().hex[:8]}"
    run(pg, "createdb", "-T", "template0", "-E", "UTF8", name)
    yield name
    run(pg, "dropdb", "--if-exists", "--force", name)


def messages_in(pg: dict[str, str], name: str) -> list[tuple[Any, ...]]:
    password = f" password={pg['password']}" if pg["password"] else ""
    dsn = f"host={pg['host']} port={pg['port']} user={pg['user']} dbname={name}{password}"
    with psycopg.connect(dsn) as restored, restored.cursor() as cursor:
        cursor.execute(
            "SELECT consultation_id, kind, seq, client_id::text, author_id, body, created_at"
            " FROM chat_message ORDER BY consultation_id, kind, seq"
        )
        rows = cursor.fetchall()
        cursor.execute("SELECT count(*) FROM helpdesk_consultation")
        rows.append(("consultations", cursor.fetchone()))
        cursor.execute("SELECT count(*) FROM accounts_auditevent")
        rows.append(("audit", cursor.fetchone()))
        # sequences come back too: the next message id is above every restored one
        cursor.execute("SELECT nextval('chat_message_id_seq') > (SELECT max(id) FROM chat_message)")
        rows.append(("sequence_ahead", cursor.fetchone()))
    return rows


def test_a_dump_restores_into_an_empty_database_with_every_message(
    pg: dict[str, str], empty_database: str, tmp_path: Path, make_user: Callable[..., User]
) -> None:
    # given consultations with conversations, including whispers, line breaks and every kind of script
    from helpdesk import defaults
    from helpdesk.models import Queue, RoutingRule

    defaults.install(Queue, RoutingRule)
    peer = on_duty(make_user(Role.PEER))
    for n in range(3):
        worker = make_user(Role.WORKER)
        consultation = consultation_create(
            actor=worker, facts=CaseFacts(category="burnout", question=f"相談{n}", requested_responder="peer")
        )
        workflow.claim(actor=peer, consultation_id=consultation.pk)
        for k in range(5):
            author = worker if k % 2 == 0 else peer
            body = f"第{k}通：夜が長い\n改行と絵文字🌙と ｶﾀｶﾅ と 𠮷 <b>{n}</b>"
            chat.message_send(
                actor=author, consultation_id=consultation.pk, client_id=uuid.uuid4(), body=body
            )
        Message.objects.create(
            consultation=consultation, seq=1, author=peer, kind=MessageKind.WHISPER, body="内緒"
        )
    source = [
        (m.consultation_id, m.kind, m.seq, str(m.client_id), m.author_id, m.body, m.created_at)
        for m in Message.objects.order_by("consultation_id", "kind", "seq")
    ]
    expected = [
        *source,
        ("consultations", (Consultation.objects.count(),)),
        ("audit", (AuditEvent.objects.count(),)),
        ("sequence_ahead", (True,)),
    ]
    # when the database is dumped as the operations guide says, and restored into an empty database
    dump = tmp_path / "soudan.dump"
    run(pg, "pg_dump", "--format=custom", "--no-owner", "--file", str(dump), pg["name"])
    run(pg, "pg_restore", "--no-owner", "--exit-on-error", "--dbname", empty_database, str(dump))
    # then every message is there, byte for byte, with everything around it
    assert len(source) == 18
    assert messages_in(pg, empty_database) == expected
