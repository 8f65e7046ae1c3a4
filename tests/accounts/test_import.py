"""`manage.py import_accounts FILE.csv`: all rows or none, every problem reported by line."""

from __future__ import annotations

import re
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from accounts.models import AuditAction, AuditEvent, Organisation, Role, User

HEADER = "username,role,organisation,display_name,email,professions,specialties,pseudonym"
SATO = "sato.hanako,worker,minato-station,佐藤 花子,hanako@example.jp,,,"
SUZUKI = "suzuki.ichiro,expert,kanagawa-centre,鈴木 一郎,,psw;lawyer,mental_health;law,いちょう"
# The good row that sits next to each bad one: it must not be imported either.
GOOD = "takahashi.yuki,peer,minato-station"

INVITE_LINE = re.compile(r"^(?P<username>\S+)\t(?P<link>\S+)$", re.MULTILINE)


@pytest.fixture
def orgs(make_org: Callable[..., Organisation]) -> dict[str, Organisation]:
    return {
        "minato-station": make_org(slug="minato-station", name="みなと町ひきこもり支援ステーション"),
        "kanagawa-centre": make_org(slug="kanagawa-centre", name="かながわ地域支援センター"),
    }


def csv_file(tmp_path: Path, content: str | bytes, name: str = "accounts.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def run_import(path: Path, *args: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("import_accounts", str(path), *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def run_failing_import(path: Path) -> tuple[str, str]:
    """Returns (CommandError message, stderr)."""
    stdout, stderr = StringIO(), StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_accounts", str(path), stdout=stdout, stderr=stderr)
    assert stdout.getvalue() == ""
    return str(failure.value), stderr.getvalue()


def invitation_links(stdout: str) -> dict[str, str]:
    return {m["username"]: m["link"] for m in INVITE_LINE.finditer(stdout)}


def assert_link_is_valid_invitation(link: str, user: User) -> None:
    prefix = settings.SITE_URL + "/accounts/invite/"
    assert link.startswith(prefix), link
    uidb64, token = link.removeprefix(prefix).rstrip("/").split("/")
    assert force_str(urlsafe_base64_decode(uidb64)) == str(user.pk)
    assert default_token_generator.check_token(user, token)


def test_good_file_creates_accounts_and_prints_invitation_links(
    tmp_path: Path, orgs: dict[str, Organisation]
) -> None:
    # given
    path = csv_file(tmp_path, f"{HEADER}\n{SATO}\n{SUZUKI}\n")

    # when
    stdout, stderr = run_import(path)

    # then
    assert "accounts.csv: 2 created, 0 updated, 0 unchanged." in stdout
    assert stderr == ""
    sato = User.objects.get(username="sato.hanako")
    assert (sato.role, sato.organisation) == (Role.WORKER, orgs["minato-station"])
    assert (sato.display_name, sato.email) == ("佐藤 花子", "hanako@example.jp")
    assert (sato.professions, sato.specialties, sato.pseudonym) == ([], [], "")
    suzuki = User.objects.get(username="suzuki.ichiro")
    assert (suzuki.role, suzuki.organisation) == (Role.EXPERT, orgs["kanagawa-centre"])
    assert suzuki.professions == ["lawyer", "psw"]
    assert suzuki.specialties == ["law", "mental_health"]
    assert suzuki.pseudonym == "いちょう"
    # Nobody has a password yet: each person sets it through their own invitation link.
    assert not sato.has_usable_password()
    assert not suzuki.has_usable_password()
    links = invitation_links(stdout)
    assert set(links) == {"sato.hanako", "suzuki.ichiro"}
    assert_link_is_valid_invitation(links["sato.hanako"], sato)
    assert_link_is_valid_invitation(links["suzuki.ichiro"], suzuki)


def test_each_created_account_leaves_an_audit_row(tmp_path: Path, orgs: dict[str, Organisation]) -> None:
    # given
    path = csv_file(tmp_path, f"{HEADER}\n{SATO}\n{SUZUKI}\n")

    # when
    run_import(path)

    # then
    created = AuditEvent.objects.filter(action=AuditAction.ACCOUNT_CREATED)
    users = User.objects.filter(username__in=["sato.hanako", "suzuki.ichiro"])
    assert sorted(created.values_list("object_id", flat=True)) == sorted(str(u.pk) for u in users)
    assert set(created.values_list("object_type", flat=True)) == {"accounts.user"}


def test_no_invitations_option_prints_no_links(tmp_path: Path, orgs: dict[str, Organisation]) -> None:
    # given
    path = csv_file(tmp_path, f"{HEADER}\n{SATO}\n")

    # when
    stdout, _ = run_import(path, "--no-invitations")

    # then
    assert "1 created" in stdout
    assert invitation_links(stdout) == {}
    assert not AuditEvent.objects.filter(action=AuditAction.INVITATION_ISSUED).exists()


def test_importing_the_same_file_twice_changes_nothing(tmp_path: Path, orgs: dict[str, Organisation]) -> None:
    # given
    path = csv_file(tmp_path, f"{HEADER}\n{SATO}\n{SUZUKI}\n")
    run_import(path)
    before = list(User.objects.order_by("pk").values())

    # when
    stdout, stderr = run_import(path)

    # then
    assert "accounts.csv: 0 created, 0 updated, 2 unchanged." in stdout
    assert invitation_links(stdout) == {}
    assert stderr == ""
    assert list(User.objects.order_by("pk").values()) == before
    assert AuditEvent.objects.filter(action=AuditAction.ACCOUNT_CREATED).count() == 2
    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_UPDATED).exists()


@pytest.mark.parametrize(
    ("edited_row", "field", "expected"),
    [
        ("suzuki.ichiro,expert,kanagawa-centre,鈴木 一朗,,psw;lawyer,mental_health;law,いちょう",
         "display_name", "鈴木 一朗"),
        ("suzuki.ichiro,supervisor,kanagawa-centre,鈴木 一郎,,psw;lawyer,mental_health;law,いちょう",
         "role", Role.SUPERVISOR),
        ("suzuki.ichiro,expert,minato-station,鈴木 一郎,,psw;lawyer,mental_health;law,いちょう",
         "organisation_id", "minato-station"),
        ("suzuki.ichiro,expert,kanagawa-centre,鈴木 一郎,,psw,mental_health;law,いちょう",
         "professions", ["psw"]),
    ],
    ids=["display_name", "role", "organisation", "professions"],
)  # fmt: skip
def test_an_edited_row_is_reported_as_updated(
    tmp_path: Path, orgs: dict[str, Organisation], edited_row: str, field: str, expected: object
) -> None:
    # given
    run_import(csv_file(tmp_path, f"{HEADER}\n{SATO}\n{SUZUKI}\n"))
    sato_before = User.objects.values().get(username="sato.hanako")
    if field == "organisation_id":
        expected = orgs[str(expected)].pk

    # when
    stdout, _ = run_import(csv_file(tmp_path, f"{HEADER}\n{SATO}\n{edited_row}\n", name="edited.csv"))

    # then
    assert "edited.csv: 0 created, 1 updated, 1 unchanged." in stdout
    assert invitation_links(stdout) == {}
    suzuki = User.objects.get(username="suzuki.ichiro")
    assert getattr(suzuki, field) == expected
    assert User.objects.values().get(username="sato.hanako") == sato_before
    assert User.objects.count() == 2
    updated = AuditEvent.objects.filter(action=AuditAction.ACCOUNT_UPDATED)
    assert list(updated.values_list("object_id", flat=True)) == [str(suzuki.pk)]


def test_reordered_or_differently_separated_codes_are_unchanged(
    tmp_path: Path, orgs: dict[str, Organisation]
) -> None:
    # given
    run_import(csv_file(tmp_path, f"{HEADER}\n{SATO}\n{SUZUKI}\n"))
    reordered = SUZUKI.replace("psw;lawyer,mental_health;law", "lawyer、psw ,law; mental_health;law")

    # when
    stdout, _ = run_import(csv_file(tmp_path, f"{HEADER}\n{SATO}\n{reordered}\n", name="again.csv"))

    # then
    assert "again.csv: 0 created, 0 updated, 2 unchanged." in stdout
    assert User.objects.get(username="suzuki.ichiro").professions == ["lawyer", "psw"]


def test_file_with_bom_and_crlf_from_excel_is_accepted(tmp_path: Path, orgs: dict[str, Organisation]) -> None:
    # given: what Excel writes for "CSV UTF-8"
    path = csv_file(tmp_path, b"\xef\xbb\xbf" + f"{HEADER}\r\n{SATO}\r\n{SUZUKI}\r\n".encode())

    # when
    stdout, _ = run_import(path)

    # then
    assert "2 created" in stdout
    assert User.objects.get(username="sato.hanako").display_name == "佐藤 花子"
    assert User.objects.get(username="suzuki.ichiro").pseudonym == "いちょう"


BAD_FILES = {
    "missing role": (
        f"username,role,organisation\n{GOOD}\nwatanabe.ken,,minato-station\n",
        ["line 3: role is empty"],
    ),
    "unknown role": (
        f"username,role,organisation\n{GOOD}\nwatanabe.ken,boss,minato-station\n",
        ["line 3: role:", "boss"],
    ),
    "unknown organisation": (
        f"username,role,organisation\n{GOOD}\nwatanabe.ken,worker,nowhere-centre\n",
        ["line 3: organisation:", "nowhere-centre"],
    ),
    "duplicate username": (
        f"username,role,organisation\n{GOOD}\nwatanabe.ken,worker,minato-station\n"
        "takahashi.yuki,expert,kanagawa-centre\n",
        ["line 4: duplicate username 'takahashi.yuki' (first on line 2)"],
    ),
    "wrong number of fields": (
        f"username,role,organisation\n{GOOD}\nwatanabe.ken,worker,minato-station,渡辺 健\n",
        ["line 3: expected 3 fields, found 4"],
    ),
    "missing required column": (
        "username,organisation\ntakahashi.yuki,minato-station\n",
        ["line 1: missing column(s): role"],
    ),
    "unknown column": (
        f"username,role,organisation,phone\n{GOOD},045-000-0000\n",
        ["line 1: unknown column(s): phone"],
    ),
    "repeated column": (
        f"username,role,organisation,role\n{GOOD},peer\n",
        ["line 1: repeated column(s): role"],
    ),
    "pseudonym taken in the same file": (
        f"username,role,organisation,pseudonym\n{GOOD},わかば\nwatanabe.ken,worker,minato-station,わかば\n",
        ["line 3: "],
    ),
    "unterminated quote": (
        f"username,role,organisation,display_name\n{GOOD},高橋 由紀\n"
        'watanabe.ken,worker,minato-station,"渡辺\n',
        ["line 3: malformed CSV"],
    ),
    "not utf-8": (
        f"username,role,organisation,display_name\n{GOOD},\n"
        "watanabe.ken,worker,minato-station,渡辺 健\n".encode("cp932"),
        ["line 3: the file is not UTF-8"],
    ),
    "empty file": (b"", ["the file is empty"]),
    "unknown profession": (
        f"username,role,organisation,professions\n{GOOD},\nwatanabe.ken,expert,minato-station,psw;astrologer\n",
        ["line 3: professions:", "astrologer"],
    ),
}


@pytest.mark.parametrize(("content", "expected"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_row_is_reported_by_line_and_nothing_is_imported(
    tmp_path: Path,
    orgs: dict[str, Organisation],
    make_user: Callable[..., User],
    content: str | bytes,
    expected: list[str],
) -> None:
    # given
    make_user(username="existing.user")
    users_before = User.objects.count()
    path = csv_file(tmp_path, content)

    # when
    message, stderr = run_failing_import(path)

    # then
    assert message == "1 problem(s) found; nothing was imported."
    problems = stderr.splitlines()
    assert len(problems) == 1, stderr
    assert problems[0].startswith("accounts.csv: ")
    for part in expected:
        assert part in problems[0]
    assert User.objects.count() == users_before
    assert not User.objects.filter(username__in=["takahashi.yuki", "watanabe.ken"]).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_CREATED).exists()


def test_every_bad_row_is_reported(tmp_path: Path, orgs: dict[str, Organisation]) -> None:
    # given
    path = csv_file(
        tmp_path,
        "username,role,organisation\n"
        f"{GOOD}\n"
        "watanabe.ken,,minato-station\n"
        "ito.mai,worker\n"
        "yamamoto.sho,worker,minato-station\n"
        "yamamoto.sho,peer,minato-station\n",
    )

    # when
    message, stderr = run_failing_import(path)

    # then
    assert message == "3 problem(s) found; nothing was imported."
    assert stderr.splitlines() == [
        "accounts.csv: line 3: role is empty",
        "accounts.csv: line 4: expected 3 fields, found 2",
        "accounts.csv: line 6: duplicate username 'yamamoto.sho' (first on line 5)",
    ]
    assert not User.objects.exists()


def test_every_row_rejected_by_validation_is_reported(tmp_path: Path, orgs: dict[str, Organisation]) -> None:
    # given: rows that parse but fail when applied
    path = csv_file(
        tmp_path,
        "username,role,organisation,specialties\n"
        f"{GOOD},\n"
        "watanabe.ken,worker,nowhere-centre,\n"
        "ito.mai,worker,minato-station,astrology\n",
    )

    # when
    message, stderr = run_failing_import(path)

    # then
    assert message == "2 problem(s) found; nothing was imported."
    problems = stderr.splitlines()
    assert len(problems) == 2
    assert problems[0].startswith("accounts.csv: line 3: organisation:")
    assert problems[1].startswith("accounts.csv: line 4: specialties:")
    assert "astrology" in problems[1]
    assert not User.objects.exists()


def test_a_failed_import_does_not_change_existing_accounts(
    tmp_path: Path, orgs: dict[str, Organisation]
) -> None:
    # given
    run_import(csv_file(tmp_path, f"{HEADER}\n{SATO}\n"))
    before = User.objects.values().get(username="sato.hanako")
    edited = SATO.replace("佐藤 花子", "佐藤 華子")

    # when
    run_failing_import(csv_file(tmp_path, f"{HEADER}\n{edited}\nwatanabe.ken,boss,minato-station,,,,,\n"))

    # then
    assert User.objects.values().get(username="sato.hanako") == before
    assert not AuditEvent.objects.filter(action=AuditAction.ACCOUNT_UPDATED).exists()


def test_unreadable_file_is_a_command_error(tmp_path: Path, db: None) -> None:
    # given
    missing = tmp_path / "missing.csv"

    # when
    with pytest.raises(CommandError) as failure:
        call_command("import_accounts", str(missing), stdout=StringIO(), stderr=StringIO())

    # then
    assert str(failure.value).startswith(f"cannot read {missing}")


def test_reapplying_an_account_whose_names_needed_cleaning_changes_nothing(db: None) -> None:
    from accounts.models import AuditEvent, Organisation, Role
    from accounts.services import AccountSpec, account_apply

    Organisation.objects.create(slug="clean-org", name="試験機関", org_type="npo", prefecture="13")
    spec = AccountSpec(
        "clean-user", Role.WORKER, "clean-org", display_name="山田  花子\u200b", pseudonym="あ\u200bおば"
    )
    account_apply(actor=None, spec=spec)
    audited = AuditEvent.objects.count()
    again = account_apply(actor=None, spec=spec)
    assert again.changed_fields == [] and AuditEvent.objects.count() == audited
