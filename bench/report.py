"""bench/RESULTS.md: when and where, how the servers were configured, a summary, then each scenario."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.common import Section, Table, ms, num

SETTINGS_NOTE = [
    "- Servers: daphne (one process each) on 127.0.0.1 with `DJANGO_ENV={profile}`, `DEBUG=0`, a "
    "random 86-character "
    "`SECRET_KEY`, `ALLOWED_HOSTS=127.0.0.1,localhost`, PostgreSQL (`DATABASE_URL` → the bench's own "
    "database, "
    "dropped and re-created each run, migrated with `manage.py migrate`) and Redis (`REDIS_URL` → a private "
    "redis-server on a free port; the pub/sub channel layer and the cache, as configured in "
    "config/settings.py). "
    "`DJANGO_SETTINGS_MODULE=bench.settings` = config.settings plus one URL (/bench/trivial) for the "
    "pages baseline.",
    "- Production-like without TLS: clients speak plain ws:// and http:// on loopback and send "
    "`X-Forwarded-Proto: https`, as the TLS proxy does in production, so HTTPS redirect, secure cookies "
    "(`__Host-sessionid`), HSTS and the manifest static storage (collectstatic into a temporary "
    "STATIC_ROOT) are "
    "all active. The TLS proxy itself is not measured.",
    "- Clients: one Python asyncio process on the same 2 cores (websockets {websockets}, no "
    "compression, no client "
    "pings); all sessions are real two-factor sessions (confirmed TOTP device) written for fictional "
    "accounts.",
]


def _get(data: dict[str, Any], *path: Any) -> Any:
    value: Any = data
    for key in path:
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and isinstance(key, int) and -len(value) <= key < len(value):
            value = value[key]
        else:
            return None
    return value


def _f(value: Any, fmt: str = "{:,.0f}") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return fmt.format(value)


def _headline(figures: dict[str, Any], system: str, rate: float | None = None) -> dict[str, Any] | None:
    """The first phase at the headline comparison load (or `rate`), first layout."""
    rate = rate if rate is not None else _get(figures, system, "headline_rate")
    for phase in _get(figures, system, "at_rate") or []:
        if phase["offered"] == rate:
            return dict(phase)
    return None


def summary(sections: dict[str, Section]) -> Table:
    table = Table(["scenario", "figure", "measured", "baseline", "ratio", "target"])
    chat = sections.get("chat")
    if chat and chat.figures:
        fig = chat.figures
        light = _get(fig, "project", "at_rate", 0)
        if light and light["offered"] != _get(fig, "project", "headline_rate"):
            lp, lb1 = light, _headline(fig, "B1", light["offered"])
            if lb1:
                table.add(
                    "1 chat",
                    f"p99 at {num(lp['offered'])} deliveries/s ({lp['layout']}), a load the project "
                    "keeps up with",
                    ms(lp["p99"]),
                    f"B1 {ms(lb1['p99'])}",
                    _f(lp["p99"] / lb1["p99"] if lb1["p99"] else None, "{:.2f}×"),
                    "≤ 1.5× B1",
                )
        p, b1, b0 = (_headline(fig, name) for name in ("project", "B1", "B0"))
        if p and b1:
            table.add(
                "1 chat",
                f"p99 at {num(p['offered'])} deliveries/s ({p['layout']})",
                ms(p["p99"]),
                f"B1 {ms(b1['p99'])}",
                _f(p["p99"] / b1["p99"] if b1["p99"] else None, "{:.2f}×"),
                "≤ 1.5× B1",
            )
        if p and b0:
            table.add(
                "1 chat",
                "p99 vs bare websockets relay",
                ms(p["p99"]),
                f"B0 {ms(b0['p99'])}",
                _f(p["p99"] / b0["p99"] if b0["p99"] else None, "{:.2f}×"),
                "–",
            )
        if p:
            table.add(
                "1 chat",
                "lost / duplicated / out of order at that load",
                f"{p['lost']}{'' if p['quiet'] else ' (cut off, late or lost)'} / {p['duplicates']} / "
                f"{p['out_of_order']}",
                "–",
                "–",
                "0 / 0 / 0",
            )
        sat_p, sat_b0 = _get(fig, "project", "saturation"), _get(fig, "B0", "saturation")
        at_least = "≥ " if _get(fig, "B0", "saturation_lower_bound") else ""
        if sat_p is not None and sat_b0:
            table.add(
                "1 chat",
                "saturation deliveries/s",
                _f(sat_p),
                f"B0 {at_least}{_f(sat_b0)}",
                ("≤ " if at_least else "") + _f(sat_p / sat_b0, "{:.2f}×"),
                "≥ 0.5× B0",
            )
    conn = sections.get("connections")
    if conn and conn.figures:
        fig = conn.figures
        table.add(
            "2 connections",
            "sockets open / failures",
            f"{_f(fig.get('opened'))} / {sum((fig.get('failures') or {}).values())}",
            "–",
            "–",
            "5,000 / 0",
        )
        table.add(
            "2 connections",
            "memory per connection",
            _f(fig.get("kib_per_connection"), "{:.1f} KiB"),
            "–",
            "–",
            "< 60 KiB",
        )
        table.add(
            "2 connections", "idle CPU", _f(fig.get("idle_cpu"), "{:.1%}"), "–", "–", "< 10 % of a core"
        )
        again = fig.get("reconnect") or {}
        if again:
            table.add(
                "2 connections",
                "chat clients reconnecting at once: back / resumed complete",
                f"{again['reconnected']:.0f} of {again['clients']:.0f} in {again['seconds']:.1f} s / "
                f"{again['complete']:.0f}",
                "–",
                "–",
                "1,000 in 5 s / all",
            )
        p99s = fig.get("broadcast_p99") or []
        if p99s:
            table.add(
                "2 connections",
                f"broadcast to {fig.get('group')} members, p99 (median)",
                ms(sorted(p99s)[len(p99s) // 2]),
                "–",
                "–",
                "–",
            )
    claims = sections.get("claims")
    if claims and claims.figures:
        fig = claims.figures
        names = [k for k in fig if k.startswith("project")], [k for k in fig if k.startswith("baseline")]
        if names[0] and names[1]:
            p, r = fig[names[0][0]], fig[names[1][0]]
            table.add(
                "3 claims",
                "claims/s (20 responders)",
                _f(p["rate"]),
                f"raw SQL {_f(r['rate'])}",
                _f(p["rate"] / r["rate"] if r["rate"] else None, "{:.2f}×"),
                "≥ 500/s, ≥ 0.4×",
            )
            table.add(
                "3 claims",
                "p99 / double claims",
                f"{ms(p['p99'])} / {p['double']}",
                f"{ms(r['p99'])} / {r['double']}",
                "–",
                "0 double",
            )
    pages = sections.get("pages")
    if pages and pages.figures:
        fig = pages.figures
        labels = list(fig)
        if len(labels) >= 3:
            trivial = fig[labels[2]]
            for label in labels[:2]:
                row = fig[label]
                table.add(
                    "6 pages",
                    f"{label.split(' ')[1]}: req/s, p95",
                    f"{_f(row['rate'])}, {ms(row['p95'])}",
                    f"trivial {_f(trivial['rate'])}, {ms(trivial['p95'])}",
                    _f(row["rate"] / trivial["rate"] if trivial["rate"] else None, "{:.2f}×"),
                    "–",
                )
    return table


def write(
    path: Path,
    *,
    started: datetime,
    seconds: float,
    quick: bool,
    profile: str,
    machine: list[str],
    sections: list[Section],
    keyed: dict[str, Section],
    websockets_version: str,
) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"`{'make bench-quick' if quick else 'make bench'}` on {started:%Y-%m-%d %H:%M} (local time), "
        f"{seconds:.0f} s in all."
        + (" **Quick smoke run: small sizes, numbers not meaningful.**" if quick else ""),
        "",
        *machine,
        *(line.format(profile=profile, websockets=websockets_version) for line in SETTINGS_NOTE),
        "",
        "## Summary",
        "",
        summary(keyed).markdown(),
        "",
        "Ratios are measured / baseline (for latency, lower is better; for throughput, higher). Every figure "
        "below comes from this one run; the machine is shared, so repeat runs vary by tens of percent.",
        "",
    ]
    for section in sections:
        lines.append(section.markdown())
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
