"""Urgent-lane triage (helpdesk.triage): risk expressions read in context, and the level rules."""

from __future__ import annotations

import json
import logging
import re
import statistics
import time
from pathlib import Path

import pytest

from helpdesk import nlp
from helpdesk.triage import LEVELS, Reason, TriageResult, lexicon, triage
from helpdesk.triage.lexicon import DATA_DIR, LexiconError, load_lexicon, read_rows

DEV = Path(__file__).resolve().parents[3] / "shared/triage/dev.jsonl"


def _codes(reasons: tuple[Reason, ...]) -> set[str]:
    return {reason.code for reason in reasons}


def _expressions(reasons: tuple[Reason, ...]) -> str:
    return " ".join(reason.expression for reason in reasons)


# --- indirect wording: lemmas make the variants meet ------------------------------------------


@pytest.mark.parametrize(
    "summary",
    [
        "本人が面談で「最近、消えたいと思う」と話した。",
        "本人が面談で「最近、消えてしまいたいと思う」と話した。",
        "本人が面談で「最近、消えちゃいたいと思う」と話した。",
        "本人が面談で「もういなくなりたい」と話した。",
        "本人がLINEで「早く楽になりたい」と送ってきた。",
        "本人が「全部終わりにしたい」とつぶやいていたそうです。",
        "本人が「生きてても意味ないし」と話した。",
        "本人が「俺なんかいない方がいい」と言うようになった。",
    ],
)
def test_indirect_phrasings_are_urgent(summary: str) -> None:
    # given an indirect wish to disappear, in one of its inflected forms
    # when it is triaged
    result = triage(summary=summary)
    # then it goes to the urgent lane with a suicide reason
    assert result.urgent and result.level == "urgent"
    assert any(reason.category == "suicide" for reason in result.reasons)


def test_reasons_carry_the_expression_and_a_japanese_message() -> None:
    # given a text with an indirect expression
    result = triage(summary="本人が面談で「最近、消えちゃいたい」と話した。")
    # then the reason names the matched words and explains them in Japanese
    reason = next(r for r in result.reasons if r.category == "suicide")
    assert reason.expression == "消えちゃいたい"
    assert reason.message == "間接的な希死念慮の表現: 「消えちゃいたい」"


# --- context: past, negated, hypothetical, professional, fiction -------------------------------


@pytest.mark.parametrize(
    ("summary", "why"),
    [
        ("【人物A】さんは3年前に自殺未遂で入院したが、現在は安定している。就労の相談です。", "過去|解消"),
        ("本人は以前「死にたい」と口にしていましたが、今はほとんど言わなくなりました。", "過去|解消"),
        ("【人物B】さん宅について。記録上、暴力の既往はなく、家族関係も良好です。", "否定"),
        ("疲れてはいるけど、死にたいとかは全然ないです。業務量の相談です。", "否定"),
        ("万一、訪問先で本人に「死にたい」と言われたら、どう返せばよいでしょうか。", "仮定"),
        ("先月、自殺対策の研修を修了しました。現場での活かし方を相談したいです。", "専門"),
        ("虐待防止マニュアルを改訂しています。参考資料を教えてください。", "専門"),
        ("県の統計では自殺者数が減っています。講演でどう伝えるか相談です。", "専門"),
        ("法律の質問です。息子が親に暴力を振るった場合、保護命令は出せますか。", "専門"),
        ("本人が読んだ小説は、主人公が家庭内暴力から逃げ出す話でした。", "フィクション"),
        ("本人が好きなゲームで、キャラクターが自殺する展開があり泣いたそうです。", "フィクション"),
    ],
)
def test_mentions_that_are_not_a_current_risk_are_set_aside(summary: str, why: str) -> None:
    # given a risky word that is past, negated, hypothetical, professional or fictional
    # when it is triaged
    result = triage(summary=summary)
    # then it is not urgent, and the match is listed as set aside with the reason why
    assert not result.urgent
    assert result.discounted
    assert any(re.search(why, reason.message) for reason in result.discounted)


def test_a_denial_next_to_fresh_cuts_does_not_make_it_safe() -> None:
    # given the README's example: a denial in the client's words next to current self-harm
    summary = "・腕にリストカット痕多数、昨夜も切ったとのこと\n・「死にたいとかじゃなくて、消えたいだけ」"
    # when it is triaged
    result = triage(summary=summary)
    # then it is urgent and the denial is shown as not credible
    assert result.urgent
    denial = next(r for r in result.reasons if r.expression == "死にたい")
    assert "否定しているが" in denial.message


def test_a_past_marker_does_not_hide_a_current_one() -> None:
    # given a risk said to continue since before (以前から) and a current act
    result = triage(summary="本人は以前から「死にたい」と言っていて、昨夜ロープを買ったと話した。")
    # then it is urgent
    assert result.urgent


# --- look-alikes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("safe", "risky"),
    [
        (
            "本人は来月グループホームに入居する予定で、部屋を片づけ、不要な本を弟にあげたそうです。",
            "本人が「身辺整理をした」と言い、大事にしていた本を弟に配ったそうです。",
        ),
        (
            "就職が決まった本人が「今までありがとうございました」と言って支援を卒業しました。",
            "昨夜、本人から「今までありがとう」とだけLINEが来て、既読がつかない。",
        ),
        (
            "母親が来週、予定どおり膝の手術のため入院します。術後の生活を相談したいです。",
            "訪問すると母親が廊下で倒れていて、呼びかけへの反応が鈍い。",
        ),
        (
            "【人物C】さんと3日連絡が取れませんが、旅行中で旅先の写真をSNSに投稿しています。",
            "【人物C】さんと3日連絡が取れません。最後のメッセージは「橋の上にいる」でした。",
        ),
        (
            "本人がアウトドア講座でロープワークを習い始めました。",
            "息子が物置にロープを隠しているのを母親が見つけた。",
        ),
        (
            "本人が公民館の屋上菜園のボランティアに通っています。",
            "本人から「屋上にいる。ここからなら一瞬かな」とメッセージが来た。",
        ),
        (
            "本人が飲み忘れで余った薬をまとめて、次の受診で主治医に見せるそうです。",
            "本人が「薬をためてある」と話していた。",
        ),
        (
            "本人が最近「楽になった」と話しています。作業所に通い始めて生活が整いました。",
            "本人が最近「楽になりたい」と繰り返しています。",
        ),
    ],
)
def test_lookalikes_are_not_urgent_but_their_counterparts_are(safe: str, risky: str) -> None:
    # given a safe look-alike and the risky text it resembles
    # when both are triaged
    calm, alarm = triage(summary=safe), triage(summary=risky)
    # then only the risky one is urgent
    assert not calm.urgent
    assert alarm.urgent


def test_a_lookalike_is_shown_with_its_explanation() -> None:
    # given rope-work in a hobby context
    result = triage(summary="本人が地域のアウトドア講座で「ロープワーク」の回に参加したいそうです。")
    # then it is listed as set aside, with the words and a Japanese explanation
    assert not result.urgent
    assert any("ロープワーク" in r.expression and "ロープ" in r.message for r in result.discounted)


def test_an_explanation_the_text_denies_does_not_count() -> None:
    # given a farewell with no job and no move, as the text itself says
    summary = (
        "【人物F】さんから「今までお世話になりました」とだけメールが来た。"
        "就職も引っ越しの予定もないはずなのに。"
    )
    # then the farewell stays urgent
    assert triage(summary=summary).urgent


# --- who is at risk: the worker themself ----------------------------------------------------------


@pytest.mark.parametrize(
    "summary",
    [
        "正直もう限界かも。朝起きると消えたいって思うし、誰にも言えてない。",
        "担当ケースの方が亡くなってから、自分も死にたい気持ちが強くなっています。",
        "最近、夜中に「どうやったら楽に終われるか」を調べている自分がいる。",
    ],
)
def test_the_workers_own_risk_is_urgent_and_marked_as_theirs(summary: str) -> None:
    # given a worker writing about their own wish to die or disappear
    result = triage(summary=summary)
    # then it is urgent and the reason says it is the worker's own risk
    assert result.urgent
    assert any(r.category == "worker_self" and r.message.startswith("支援者自身の") for r in result.reasons)


def test_plain_burnout_is_not_urgent() -> None:
    # given a tired worker after a busy week
    result = triage(summary="今週やばかった…訪問6件に会議3つ。ほんと疲れた〜。金曜は早く帰って寝ます。")
    # then it is not urgent and nothing was matched
    assert result == TriageResult(False, "normal", (), ())


# --- the worker's choice and the subtype ------------------------------------------------------------


@pytest.mark.parametrize("choice", LEVELS)
def test_the_workers_urgency_only_raises_the_level(choice: str) -> None:
    # given an urgent text and a calm one
    urgent_text = "本人が「死にたい。今日帰ったら実行する」と話して帰宅した。"
    calm_text = "家族会の参加者が減っています。オンライン開催の工夫を知りたいです。"
    # when the worker picks a level
    raised = triage(summary=calm_text, worker_urgency=choice)
    kept = triage(summary=urgent_text, worker_urgency=choice)
    # then the calm text takes the worker's level, and the urgent one stays urgent
    assert raised.level == choice
    assert raised.urgent is (choice == "urgent")
    assert kept.level == "urgent"
    if choice != "normal":
        assert f"worker_choice.{choice}" in _codes(raised.reasons)


def test_suicidal_self_harm_subtype_is_urgent_unless_the_risk_is_clearly_past() -> None:
    # given the suicidal/self-harm subtype with a neutral text, and with a text saying it is past
    neutral = triage(summary="今後の面談の進め方を相談したいです。", subtype="suicidal_self_harm")
    past = triage(summary="2年前に自殺未遂の既往があるが、現在は安定している。", subtype="suicidal_self_harm")
    # then the first is urgent by the subtype rule, the second is not
    assert neutral.urgent
    assert "subtype.suicidal_self_harm" in _codes(neutral.reasons)
    assert not past.urgent
    assert "subtype.suicidal_self_harm" in _codes(past.discounted)


def test_other_subtypes_do_not_make_a_calm_text_urgent() -> None:
    # given a calm text filed under domestic violence
    result = triage(summary="家族会で配る資料の作り方を相談したいです。", subtype="domestic_violence")
    # then it is raised to high, not to urgent
    assert result.level == "high"
    assert not result.urgent


# --- the issue's "done when" -------------------------------------------------------------------------


def test_issue_rope_and_apologising_for_being_a_burden_is_urgent_with_the_reason() -> None:
    # given the summary from the issue
    summary = (
        "母親より。息子がホームセンターでロープを買ったらしい。"
        "最近は「迷惑ばかりかけてごめん」と謝ってばかりいる。"
    )
    # when it is triaged
    result = triage(summary=summary)
    # then it is urgent and the rope is shown as a reason
    assert result.urgent
    assert "ロープ" in _expressions(result.reasons)
    assert any("迷惑ばかり" in r.expression for r in result.reasons)


def test_issue_finishing_suicide_prevention_training_is_not_urgent() -> None:
    # given the other example from the issue
    result = triage(summary="先月、自殺対策の研修を修了しました")
    # then it is not urgent, and the mention is set aside as professional
    assert not result.urgent
    assert any("専門的な文脈" in r.message for r in result.discounted)


# --- inputs, privacy, data files, speed ----------------------------------------------------------


def test_the_question_is_read_with_the_summary() -> None:
    # given a calm summary and a question that carries the risk
    question = "本人が「消えたい」と言っていたのですが、どうすれば？"
    result = triage(summary="初回面談の記録です。", question=question)
    # then the question counts
    assert result.urgent


@pytest.mark.parametrize(
    "kwargs",
    [{"subtype": "nonsense"}, {"worker_urgency": "critical"}],
)
def test_invalid_arguments_raise_without_echoing_the_text(kwargs: dict[str, str]) -> None:
    # given a canary in the text and an invalid argument
    canary = "カナリア死にたい"
    # when triage is called, then it raises and the message carries no text
    with pytest.raises(ValueError, match=r"^(?!.*カナリア)"):
        triage(summary=canary, **kwargs)


def test_triage_never_logs_the_text(caplog: pytest.LogCaptureFixture) -> None:
    # given a canary inside a risky text
    canary = "ゼブラ7731"
    # when it is triaged with every logger listening
    with caplog.at_level(logging.DEBUG):
        triage(summary=f"{canary}さんが「死にたい」と言った。", question=f"{canary}について")
    # then no log record holds the canary
    assert all(canary not in record.getMessage() for record in caplog.records)


def test_a_text_longer_than_the_tokenizer_limit_is_triaged() -> None:
    # given a text far beyond Sudachi's 49149-byte input limit, with the risk at the end
    summary = "記録業務が多い。" * 5000 + "本人が「消えたい」と話した。"
    # then it is triaged without error
    assert triage(summary=summary).urgent


def test_the_lexicon_files_load_and_every_entry_has_a_note() -> None:
    # given the three data files
    lex = load_lexicon()
    # then each file has entries, each with a note, and the cached lexicon is loaded once
    assert len(lex.entries) > 100 and lex.markers and lex.lookalikes
    for name, header in (
        ("risk_expressions.tsv", ("code", "category", "severity", "pattern", "label", "note")),
        ("context_markers.tsv", ("kind", "pattern", "note")),
        ("lookalikes.tsv", ("code", "applies_to", "scope", "pattern", "message", "note")),
    ):
        rows = read_rows(DATA_DIR / name, header)
        assert rows
        assert all(row["note"].strip() for _, row in rows)
    assert lexicon() is lexicon()


def test_a_malformed_data_file_is_rejected_by_line(tmp_path: Path) -> None:
    # given a risk file whose entry has no note
    for name in ("context_markers.tsv", "lookalikes.tsv"):
        (tmp_path / name).write_text((DATA_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    header = "code\tcategory\tseverity\tpattern\tlabel\tnote\n"
    (tmp_path / "risk_expressions.tsv").write_text(header + "x.y\tsuicide\turgent\t死ぬ たい\tラベル\t\n")
    # when it is loaded, then the error names the file and line
    with pytest.raises(LexiconError, match=r"risk_expressions\.tsv:2"):
        load_lexicon(tmp_path)


# Words Sudachi splits when alone but keeps whole in running text.
_SPLIT_ALONE_ONLY = {"希死念慮", "ただれる", "させる", "まで"}


def test_every_lexicon_word_is_one_morpheme() -> None:
    # given every word alternative in the data files (a pattern slot matches one token)
    lex = lexicon()
    patterns = [e.pattern for e in lex.entries] + [m.pattern for m in lex.markers]
    patterns += [part for rule in lex.lookalikes for part in rule.pattern.parts]
    words = {word for pattern in patterns for slot in pattern.slots for word in slot.exact}
    # when each is tokenised on its own
    split = sorted(w for w in words - _SPLIT_ALONE_ONLY if len(nlp.tokenize(w)) > 1)
    # then none falls apart (it could never match); write such words as `A =B` instead
    assert split == []


def test_triage_is_fast_once_loaded() -> None:
    # given the loaded lexicon and a consultation-sized text (~300 characters)
    sentence = "【相談概要】担当の【人物A】さん（30代男性）から昨夜LINEで「今までありがとう」と届いた。"
    text = (sentence * 4)[:300]
    triage(summary=text)
    # when it is triaged repeatedly
    timings = []
    for _ in range(30):
        start = time.perf_counter()
        triage(summary=text)
        timings.append(time.perf_counter() - start)
    # then the median is well under 5 ms
    assert statistics.median(timings) < 0.005


# --- the development corpus ------------------------------------------------------------------------


def test_dev_corpus_recall_is_complete_with_few_false_alarms() -> None:
    # given the shared development corpus
    if not DEV.exists():
        pytest.skip("shared/triage/dev.jsonl is not available")
    rows = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    # when every item is triaged
    predicted = {row["id"]: triage(summary=row["text"]).urgent for row in rows}
    urgent = [row["id"] for row in rows if row["urgent"]]
    calm = [row["id"] for row in rows if not row["urgent"]]
    # then every urgent item is caught and at most 15% of the others are flagged
    missed = [i for i in urgent if not predicted[i]]
    false_alarms = [i for i in calm if predicted[i]]
    assert missed == []
    assert len(false_alarms) / len(calm) <= 0.15, false_alarms
