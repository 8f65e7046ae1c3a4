"""helpdesk.deid: detection, redaction, remaining identifiers and re-identification risks.

Every example is fictional and none comes from the dev corpus. No database is needed.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
from pathlib import Path
from types import ModuleType

import pytest

from helpdesk import deid
from helpdesk.deid import Span

DEV_CORPUS = Path(__file__).resolve().parents[3] / "shared/anonymization/dev.jsonl"
FICTIONAL = Path(__file__).with_name("test_deid_fictional.jsonl")  # our own held-out-style texts


def found(text: str) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.label) for s in deid.detect(text)]


def surfaces(text: str) -> list[str]:
    return [text[s.start : s.end] for s in deid.detect(text)]


# --------------------------------------------------------------------------- PERSON


def test_surname_with_honorific_excludes_the_honorific() -> None:
    # given a surname followed by さん
    text = "担当の秋津さんが訪問した。"
    # when detecting / then only the surname is a PERSON span
    assert found(text) == [("秋津", "PERSON")]


def test_full_name_with_a_space_is_one_span() -> None:
    # given a surname and given name separated by a space
    text = "本人の桐生 蓮さん（29歳）は自室にいる。"
    # when detecting
    spans = found(text)
    # then the full name is one PERSON span and the age is separate
    assert ("桐生 蓮", "PERSON") in spans
    assert ("29歳", "AGE") in spans


def test_hiragana_given_names_before_honorifics() -> None:
    # given hiragana given names the dictionary does not know
    text = "息子のゆうとくんは部屋から出てこない。妹のしずかちゃんも心配している。"
    # when detecting / then both names are found without the particle の
    assert found(text) == [("ゆうと", "PERSON"), ("しずか", "PERSON")]


def test_katakana_foreign_name_with_middle_dot_is_one_span() -> None:
    # given a foreign name written in katakana with ・
    text = "母親のイザベラ・ゴメスさんとは通訳を介して話した。"
    # when detecting / then the whole name is one PERSON span
    assert found(text) == [("イザベラ・ゴメス", "PERSON")]


def test_nickname_in_quotes_and_its_later_mentions() -> None:
    # given a nickname introduced in 「」 and then used bare
    text = "本人は呼び名「モモ」を好む。モモと呼ぶと返事をする。"
    # when detecting / then both mentions are PERSON spans
    assert found(text) == [("モモ", "PERSON"), ("モモ", "PERSON")]


def test_names_without_honorific_in_notes() -> None:
    # given bullet notes with names in role slots and no honorific
    text = "・本人：そうた（14歳）\n・母：真澄（45歳）\n・担当：鰐淵"
    # when detecting
    names = [s for s, label in found(text) if label == "PERSON"]
    # then each name is found
    assert names == ["そうた", "真澄", "鰐淵"]


def test_role_words_are_not_names() -> None:
    # given role nouns followed by honorifics
    text = "お母さんと保健師さん、ケアマネさん、店長さん、みなさんに相談した。"
    # when detecting / then nothing is found
    assert found(text) == []


def test_name_reading_in_parentheses_is_the_same_person() -> None:
    # given a name followed by its reading, and a relative with the same surname
    text = "相談者は栗栖 茜（くりす あかね）さん。兄の栗栖 透さんも同席。"
    # when detecting / then the reading is a PERSON span too
    assert ("くりす あかね", "PERSON") in found(text)
    # and when redacting / then the reading gets the name's letter and the brother another one
    assert deid.redact(text).text == "相談者は【人物A】（【人物A】）さん。兄の【人物B】さんも同席。"


# --------------------------------------------------------------------------- PLACE and ORG


def test_full_width_address_opened_by_a_prefecture_is_one_span() -> None:
    # given a full-width address with 丁目, a house number and a room
    text = "住所は東京都杉並区高円寺南４丁目１５－３ サンハイツ高円寺２０１号室です。"
    # when detecting / then the prefecture, address and building form one PLACE span
    assert found(text) == [("東京都杉並区高円寺南４丁目１５－３ サンハイツ高円寺２０１号室", "PLACE")]


def test_station_and_housing_estate_are_places() -> None:
    text = "最寄りは吉祥寺駅で、近くの光が丘団地に住んでいる。"
    assert found(text) == [("吉祥寺駅", "PLACE"), ("光が丘団地", "PLACE")]


def test_agency_named_with_a_place_is_one_org_but_generic_agencies_are_not() -> None:
    # given a place-named agency and generic agency types
    text = "杉並区保健所と精神保健福祉センター、保健所、地域包括支援センターに相談した。"
    # when detecting / then only the place-named agency is an ORG
    assert found(text) == [("杉並区保健所", "ORG")]


def test_named_schools_companies_and_npos() -> None:
    text = "NPO法人ひだまりの会、株式会社北星ロジテック、福井市立明倫中学校、わかば台クリニック。"
    assert found(text) == [
        ("NPO法人ひだまりの会", "ORG"),
        ("株式会社北星ロジテック", "ORG"),
        ("福井市立明倫中学校", "ORG"),
        ("わかば台クリニック", "ORG"),
    ]


def test_generic_school_types_are_not_orgs() -> None:
    text = "通信制高校に籍はあるが、県立高校への転学も考えている。大学病院の精神科にも通った。"
    assert found(text) == []


# --------------------------------------------------------------------------- structured identifiers


@pytest.mark.parametrize(
    "phone",
    [
        "０９０ー００００ー５５１２",  # full-width digits, long-vowel dash
        "03 0000 7781",  # split by spaces
        "０１７２　００　４４１９",  # full-width, ideographic spaces
        "(0476)00-1234",  # area code in parentheses
        "+81 80-0000-3921",  # international
        "070−0000−4410",  # minus sign
        "09000001234",  # no separators
    ],
)
def test_phone_numbers_in_common_forms(phone: str) -> None:
    # given a phone number in one of many written forms
    text = f"連絡先は{phone}です。"
    # when detecting / then the whole number is one PHONE span
    assert found(text) == [(phone, "PHONE")]


def test_email_and_urls_with_and_without_scheme() -> None:
    text = "メールは taro.k@example.org、ブログは example.jp/diary と https://blog.example.com/a-b です。"
    assert found(text) == [
        ("taro.k@example.org", "EMAIL"),
        ("example.jp/diary", "URL"),
        ("https://blog.example.com/a-b", "URL"),
    ]


def test_postal_codes_include_the_postal_mark() -> None:
    text = "〒１５０－００４１、郵便番号 880-0805 宛。"
    assert found(text) == [("〒１５０－００４１", "POSTAL"), ("880-0805", "POSTAL")]


def test_handles_with_and_without_at_sign() -> None:
    text = "Instagramは@hoshi_zora22、LINE ID：mori0707、ディスコードは kurage#0420。"
    assert found(text) == [("@hoshi_zora22", "HANDLE"), ("mori0707", "HANDLE"), ("kurage#0420", "HANDLE")]


def test_id_numbers_by_check_digit_and_by_context() -> None:
    # given a My Number with a valid check digit and IDs introduced by context words
    text = (
        "番号 1234 5678 9018、被保険者番号 00123456、ケース番号：SK-2019-0042、"
        "学籍番号 A23-1187、手帳 第１２３４５号。"
    )
    # when detecting / then all are ID spans
    assert found(text) == [
        ("1234 5678 9018", "ID"),
        ("00123456", "ID"),
        ("SK-2019-0042", "ID"),
        ("A23-1187", "ID"),
        ("第１２３４５号", "ID"),
    ]


def test_dates_in_japanese_and_western_forms_without_the_weekday() -> None:
    text = (
        "令和4年11月3日（木）に来所、2021年5月に退職、2022/10/4 受診、H29.4.1 入学、R3.9 退職、"
        "次回は12月1日（金）。令和四年八月十日。"
    )
    assert surfaces(text) == [
        "令和4年11月3日",
        "2021年5月",
        "2022/10/4",
        "H29.4.1",
        "R3.9",
        "12月1日",
        "令和四年八月十日",
    ]


def test_exact_ages_in_digits_kanji_and_news_style() -> None:
    text = "本人は34歳、兄は三十六歳、弟は16才、妹は二十歳。田所 誠（33）は無職。"
    assert found(text) == [
        ("34歳", "AGE"),
        ("三十六歳", "AGE"),
        ("16才", "AGE"),
        ("二十歳", "AGE"),
        ("田所 誠", "PERSON"),
        ("33", "AGE"),
    ]


def test_things_that_look_like_pii_but_are_not() -> None:
    # given age bands, thresholds, emergency numbers, relative times, a prefecture, an agency, counts
    text = "30代後半、18歳以上、110番、119番、189、3年前、東京都の調査、保健所、2名、40歳以上、半年ほど。"
    # when detecting / then nothing is found
    assert found(text) == []


def test_offsets_point_into_the_original_text_when_nfkc_changes_its_length() -> None:
    # given characters that NFKC expands (℡ -> TEL, ㈱ -> (株)) before full-width identifiers
    text = "㈱テスト ℡０３－００００－１２３４ ① 山田さん、ａｂｃ＠ｅｘａｍｐｌｅ．ｊｐ"
    # when detecting
    spans = deid.detect(text)
    # then every span slices the original text at the identifier
    assert [(text[s.start : s.end], s.label) for s in spans if s.label != "ORG"] == [
        ("０３－００００－１２３４", "PHONE"),
        ("山田", "PERSON"),
        ("ａｂｃ＠ｅｘａｍｐｌｅ．ｊｐ", "EMAIL"),
    ]


def test_spans_are_sorted_and_do_not_overlap() -> None:
    text = "〒１７０－０００１ 豊島区西巣鴨３丁目２番地 に住む北条 司さん（41歳、携帯090-0000-3311）。"
    spans = deid.detect(text)
    assert spans == sorted(spans, key=lambda s: s.start)
    assert all(a.end <= b.start for a, b in itertools.pairwise(spans))


# --------------------------------------------------------------------------- redaction


def test_placeholders_are_consistent_within_one_text() -> None:
    # given two people, one mentioned by full name and later by surname, plus a repeated place
    text = "長尾 彩さんと兄の長尾 聡さん。彩さんは練馬区在住。長尾 彩さんの兄は練馬区の会社に勤める。"
    # when redacting
    result = deid.redact(text)
    # then the same person keeps the same letter, the second person gets B, the place keeps A
    assert result.text == (
        "【人物A】さんと兄の【人物B】さん。【人物A】さんは【地名A】在住。【人物A】さんの兄は【地名A】の会社に勤める。"
    )


def test_a_surname_after_a_full_name_maps_to_the_same_letter() -> None:
    text = "相談者は猪俣 信二さん。猪俣さんは夜勤明けに来所した。"
    assert deid.redact(text).text == "相談者は【人物A】さん。【人物A】さんは夜勤明けに来所した。"


@pytest.mark.parametrize(
    ("age", "band"),
    [("34歳", "30代"), ("二十歳", "20代"), ("9歳", "10歳未満"), ("九十五歳", "90代"), ("16才", "10代")],
)
def test_exact_ages_become_bands(age: str, band: str) -> None:
    assert deid.redact(f"本人は{age}。").text == f"本人は{band}。"


@pytest.mark.parametrize(
    ("date", "generalised"),
    [
        ("令和5年4月12日", "令和5年4月"),
        ("令和五年十二月二十日", "令和五年十二月"),
        ("2023年11月8日", "2023年11月"),
        ("2024/2/5", "2024年2月"),
        ("H30.3.1", "平成30年3月"),
        ("4月12日", "【日付】"),
    ],
)
def test_dates_keep_at_most_the_year_and_month(date: str, generalised: str) -> None:
    assert deid.redact(f"{date}に来所。").text == f"{generalised}に来所。"


def test_structured_identifiers_get_fixed_placeholders() -> None:
    text = "電話090-0000-1234、メールa.b@example.com、〒100-0001、@sora_ao_1、被保険者番号 98765432"
    result = deid.redact(text)
    assert result.text == "電話【電話番号】、メール【メール】、【郵便番号】、【SNS】、被保険者番号 【ID】"
    assert [r.label for r in result.replacements] == ["PHONE", "EMAIL", "POSTAL", "HANDLE", "ID"]


def test_redact_with_given_spans_and_replacement_records() -> None:
    # given a text and spans chosen by the caller
    text = "くまちゃんは今日も元気。"
    spans = [Span(0, 2, "PERSON")]
    # when redacting with them
    result = deid.redact(text, spans)
    # then only those spans are replaced and recorded with their original surface
    assert result.text == "【人物A】ちゃんは今日も元気。"
    assert [(r.original, r.placeholder) for r in result.replacements] == [("くま", "【人物A】")]


def test_overlapping_spans_are_rejected_without_echoing_the_text() -> None:
    text = "秘密の名前"
    with pytest.raises(ValueError) as error:
        deid.redact(text, [Span(0, 3, "PERSON"), Span(2, 4, "PERSON")])
    assert "秘密" not in str(error.value)


def test_remaining_identifiers_is_empty_after_redaction_and_finds_a_left_phone() -> None:
    # given a text redacted by redact()
    text = "令和6年1月9日、本人（村瀬 陸、22歳）から電話。母の携帯は080-0000-7712。住所は板橋区成増2丁目。"
    redacted = deid.redact(text).text
    # when checking it / then nothing remains
    assert deid.remaining_identifiers(redacted) == []
    # and when a phone number is left in / then it is reported
    leaky = redacted + " 予備：090-0000-5521"
    left = deid.remaining_identifiers(leaky)
    assert [(leaky[s.start : s.end], s.label) for s in left] == [("090-0000-5521", "PHONE")]


# --------------------------------------------------------------------------- risks


def test_reidentification_risks_are_flagged_with_japanese_messages() -> None:
    # given rare attributes: very old age, long withdrawal, rare disease, "the only one"
    text = (
        "祖母（九十五歳）と二人暮らし。本人は25年間ひきこもり状態。"
        "ALSと診断された叔父がいる。町で唯一の事例。"
    )
    # when assessing
    flags = deid.reidentification_risks(text)
    # then each is flagged at its position, with a Japanese message
    assert [(f.code, text[f.start : f.end]) for f in flags] == [
        ("AGE_90_PLUS", "九十五歳"),
        ("LONG_WITHDRAWAL", "25年間"),
        ("RARE_DIAGNOSIS", "ALS"),
        ("UNIQUE_IN_AREA", "町で唯一"),
    ]
    assert all("特定" in f.message for f in flags)


def test_more_risk_wordings() -> None:
    text = "父は90歳。三十年近く自宅にこもっている。ハンチントン病の家系。村で一人だけの若者。"
    codes = [f.code for f in deid.reidentification_risks(text)]
    assert codes == ["AGE_90_PLUS", "LONG_WITHDRAWAL", "RARE_DIAGNOSIS", "UNIQUE_IN_AREA"]


def test_ordinary_facts_raise_no_risk() -> None:
    text = "本人は30代で、5年ほど前からひきこもっている。母は68歳。うつ病の治療歴がある。"
    assert deid.reidentification_risks(text) == []


# --------------------------------------------------------------------------- dev corpus


def _scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deid_score", DEV_CORPUS.parent / "score.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dev_corpus_recall_and_precision() -> None:
    # given the dev corpus and its scorer (beside the repository)
    if not DEV_CORPUS.exists():
        pytest.skip("shared/anonymization/dev.jsonl is not available")
    score = _scorer()
    gold = score.load_gold(str(DEV_CORPUS))
    # when the detector runs over every text
    pred = {doc_id: [(s.start, s.end) for s in deid.detect(g["text"])] for doc_id, g in gold.items()}
    metrics = score.compute_metrics(gold, pred)
    # then the character-level targets hold
    assert metrics["recall"] >= 0.97
    assert metrics["precision"] >= 0.85
    lines = [json.loads(line) for line in DEV_CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(lines) == len(gold)


def _parse_marked(marked: str) -> tuple[str, list[tuple[int, int]]]:
    """［［LABEL|surface］］ markup -> (plain text, gold spans)."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    pos = length = 0
    while (o := marked.find("［［", pos)) != -1:
        c = marked.find("］］", o)
        parts.append(marked[pos:o])
        length += o - pos
        surface = marked[o + 2 : c].split("|", 1)[1]
        spans.append((length, length + len(surface)))
        parts.append(surface)
        length += len(surface)
        pos = c + 2
    parts.append(marked[pos:])
    return "".join(parts), spans


def test_fictional_held_out_style_texts_stay_above_the_targets() -> None:
    # given our own fictional texts in the held-out style (rare surnames, kana names, split phones…)
    rows = [json.loads(line) for line in FICTIONAL.read_text(encoding="utf-8").splitlines() if line.strip()]
    gold_chars = predicted = both = 0
    for row in rows:
        text, gold = _parse_marked(row["marked"])
        in_gold = bytearray(len(text))
        for start, end in gold:
            in_gold[start:end] = b"\x01" * (end - start)
        # when detecting
        covered = bytearray(len(text))
        for span in deid.detect(text):
            covered[span.start : span.end] = b"\x01" * (span.end - span.start)
        gold_chars += sum(in_gold)
        predicted += sum(covered)
        both += sum(a & b for a, b in zip(covered, in_gold, strict=True))
    # then character recall and precision stay high (a regression guard, not a claim of generality)
    assert len(rows) >= 150
    assert both / gold_chars >= 0.97
    assert both / predicted >= 0.97


def test_long_texts_are_tokenised_in_pieces_with_correct_offsets() -> None:
    # given a text longer than one tokenizer call accepts comfortably
    unit = "相談者は梶田 透さん（41歳）、電話は090-0000-7781。練馬区豊玉北5丁目在住。\n"
    text = unit * 400
    # when detecting
    spans = deid.detect(text)
    # then every repetition is found at the right offsets
    assert len(spans) == 400 * 4
    assert {text[s.start : s.end] for s in spans} == {"梶田 透", "41歳", "090-0000-7781", "練馬区豊玉北5丁目"}


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\n\n", "🙂🙂", "ｶﾞｯｺｳ", "か\u3099", "…" * 50, "①②③㈱℡", "0" * 500, "ー" * 300],
)
def test_odd_inputs_do_not_break_the_detector(text: str) -> None:
    spans = deid.detect(text)
    assert all(0 <= s.start < s.end <= len(text) for s in spans)
    assert deid.redact(text).text is not None
