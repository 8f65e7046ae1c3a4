"""Re-identification risks that survive redaction: rare attributes, not identifiers.

A redacted summary can still point at one person when it says the client is 95, has been
withdrawn for 25 years, has a rare disease, or is "the only one in the village". These are
flagged for the worker to soften (Japanese messages), not removed automatically.

RARE_DIAGNOSES is a short, maintained list: conditions from the 指定難病 list (and similar)
whose prevalence is low enough that a diagnosis plus a municipality can single out a person.
Common conditions (うつ病, 統合失調症, ASD, ADHD…) are deliberately absent. Review it when the
指定難病 list changes; keep entries as surface forms as workers write them.
"""

from __future__ import annotations

import re

from .textnorm import Normalized, parse_number
from .types import RiskFlag

RARE_DIAGNOSES = tuple(
    """
    筋萎縮性側索硬化症 ALS ハンチントン病 ハンチントン舞踏病 ハンチントン 脊髄小脳変性症 多系統萎縮症
    進行性核上性麻痺 大脳皮質基底核変性症 プリオン病 クロイツフェルト・ヤコブ病 クロイツフェルトヤコブ病
    筋ジストロフィー 脊髄性筋萎縮症 球脊髄性筋萎縮症 重症筋無力症 多発性硬化症 ミトコンドリア病 ファブリー病
    ポンペ病 ゴーシェ病 ウィルソン病 ベーチェット病 ナルコレプシー プラダー・ウィリー症候群
    プラダーウィリー症候群
    ウィリアムズ症候群 レット症候群 ターナー症候群 クラインフェルター症候群 22q11.2欠失症候群 色素性乾皮症
    結節性硬化症 もやもや病 先天性ミオパチー ライソゾーム病 副腎白質ジストロフィー 指定難病 難病
    """.split()
)
_RARE_RE = re.compile("|".join(re.escape(x) for x in sorted(RARE_DIAGNOSES, key=len, reverse=True)))
_KNUM = "[0-9]{1,3}|[一二三四五六七八九十百]{1,4}"
_AGE_RE = re.compile(rf"(?<![0-9.])({_KNUM})[ \t]?(?:歳|才)|(?<![0-9])(9[0-9]|1[0-2][0-9])代|百歳")
_YEARS_RE = re.compile(
    rf"(?<![0-9〇一二三四五六七八九十和成昭正治])(?:約|およそ)?({_KNUM}|二十数|三十数|四十数)[ \t]?年"
    r"(?:以上|間|近く|超|余り|あまり|来|ほど|程度|も|前から|以上も)?"
)
_WITHDRAWAL_RE = re.compile(
    r"ひきこも|引きこも|引き篭|引き籠|引篭|閉じこも|こもって|こもり|外出(?:し|せ|で|な|は)|自室|自宅(?:に|で|中心|から)"
    r"|部屋(?:に|から)|家から(?:出|一歩)|社会との接点|無業|就労経験がな"
)
_UNIQUE_RE = re.compile(
    r"(?:町|村|市|区|地域|地区|集落|島|学校|学年|クラス|団地|職場|会社|業界|県|郡|地元)(?:内|の中)?で(?:は)?"
    r"(?:唯一|ただ一人|ただひとり|一人だけ|ひとりだけ|1人だけ|たった一人|たったひとり|只一人)"
    r"|(?:町|村|地域|地区|集落|島)(?:内)?唯一の"
)

_RISK = "個人の特定につながるおそれがあります。"
MESSAGES = {
    "AGE_90_PLUS": "90歳以上の年齢は該当者が少なく、年代に置き換えても" + _RISK,
    "LONG_WITHDRAWAL": "20年以上のひきこもり期間は周囲に知られていることが多く、" + _RISK,
    "RARE_DIAGNOSIS": "希少な疾患名は該当者が限られるため、地域や年代と組み合わさると" + _RISK,
    "UNIQUE_IN_AREA": "「地域で唯一」「村で一人だけ」といった記述は、それだけで" + _RISK,
}


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def _years(token: str) -> int | None:
    if token.endswith("数"):
        return parse_number(token[:-1])
    return parse_number(token)


def find(text: str) -> list[RiskFlag]:
    norm = Normalized(text)
    n = norm.norm
    flags: list[RiskFlag] = []

    def flag(code: str, s: int, e: int) -> None:
        os_, oe = norm.span(s, e)
        flags.append(RiskFlag(code, MESSAGES[code], os_, oe))

    for m in _AGE_RE.finditer(n):
        if m.group(1) is not None:
            value = parse_number(m.group(1))
            if value is None or not 90 <= value <= 130:
                continue
        flag("AGE_90_PLUS", m.start(), m.end())
    for m in _YEARS_RE.finditer(n):
        value = _years(m.group(1))
        if value is None or not 20 <= value <= 80:
            continue
        window = n[max(0, m.start() - 30) : m.end() + 30]
        if _WITHDRAWAL_RE.search(window):
            flag("LONG_WITHDRAWAL", m.start(), m.end())
    for m in _RARE_RE.finditer(n):
        if m.group() == "ALS" and (_latin(n[m.start() - 1 : m.start()]) or _latin(n[m.end() : m.end() + 1])):
            continue
        flag("RARE_DIAGNOSIS", m.start(), m.end())
    for m in _UNIQUE_RE.finditer(n):
        flag("UNIQUE_IN_AREA", m.start(), m.end())
    flags.sort(key=lambda f: (f.start, f.end, f.code))
    return flags
