"""Closed word lists used by the detector.

These are lists of *kinds* of words (honorifics, role nouns, facility types, generic
descriptors), not lists of names or places: names come from the Sudachi dictionary and
from context.
"""

from __future__ import annotations

HONORIFICS = frozenset({"さん", "様", "さま", "くん", "君", "ちゃん", "氏", "先生", "殿", "先輩", "たん"})
# after a surname only (not enough on their own: 自宅, 実家, 母方)
HOUSE_SUFFIXES = frozenset({"宅", "家", "方", "氏"})

# Titles written after a name, outside the span (谷口医師, 梶原相談員): evidence of a person.
TITLE_WORDS = frozenset(
    """
    医師 看護師 保健師 相談員 支援員 心理士 弁護士 教授 准教授 講師 教諭 院長 所長 課長 係長 部長 社長
    店長 校長 主任 主事 室長 理事長 代表 議員 委員
    """.split()
)

# Nouns that refer to a person by role. Before an honorific they are not names (お母さん, 店長さん).
ROLE_WORDS = frozenset(
    """
    本人 当事者 相談者 対象者 利用者 来談者 患者 家族 親 両親 親御 保護者 母 父 母親 父親 ママ パパ
    兄 姉 弟 妹 兄弟 姉妹 兄貴 姉貴 長男 次男 三男 長女 次女 三女 末っ子 息子 娘 子 子ども 子供 お子
    夫 妻 主人 旦那 奥 嫁 婿 祖母 祖父 叔母 叔父 伯母 伯父 おば おじ 孫 甥 姪 いとこ 従兄弟 義母 義父
    皆 みな みんな 各位 客 お客 彼 彼女 自分 私 僕 俺
    先生 医師 医者 主治医 担当医 看護師 保健師 心理士 公認心理師 臨床心理士 精神保健福祉士 社会福祉士
    相談員 支援員 職員 担当 担当者 支援者 スタッフ ワーカー ケースワーカー ソーシャルワーカー ケアマネ
    ケアマネジャー ケアマネージャー ヘルパー ホームヘルパー カウンセラー ボランティア サポーター
    ピアサポーター コーディネーター トレーナー コーチ マネージャー リーダー オーナー マスター ドクター
    ナース セラピスト アドバイザー パートナー メンバー ファン ゲスト ユーザー オペレーター
    店長 社長 部長 課長 係長 主任 所長 園長 校長 教頭 担任 副担任 講師 教授 上司 同僚 先輩 後輩 部下
    大家 管理人 民生委員 児童委員 巡査 刑事 警察官 お巡り 運転手 弁護士 司法書士 税理士 議員 市長
    区長 町長 村長 知事 社員 学生 生徒 児童 友人 友達 仲間 近所 隣人 住人 お隣 通訳 王子 姫 神
    お疲れ 疲れ ご苦労 お世話 お陰 おかげ お互い 皆様 皆さま お客様 奥様 旦那様 神様 仏様 王様
    赤 坊 嬢 乙 坊っちゃん 赤ちゃん 婆 爺 受付 事務 相手 先方 窓口 新人 職場 業者 家主 警備 清掃 運送
    宅配 皆様方 本名 旧姓 通称 仮名 偽名 実名 男性 女性 男子 女子 男の子 女の子 少年 少女 青年 若者 高齢者
    ご家族 ご本人 ご両親 親戚 親族 身内 先祖 ご先祖 仏 お寺 和尚 住職 神父 牧師
    """.split()
)

# Hiragana chunks that end in an honorific but are ordinary words (みなさん, おかあさん, おつかれさま).
KANA_NON_NAMES = frozenset(
    """
    みな みんな おかあ おとう おばあ おじい おにい おねえ おば おじ ばあ じい かあ とう にい ねえ
    あか おこ おく だんな おまわり おいしゃ おきゃく おつかれ ごくろう おかげ おたがい ごちそう
    おせわ ごめん おひさ おにい ぼっ ぼう おじょう かみ ほとけ おひめ おうじ おとな こども ちゃん
    いもうと おとうと あに あね むすこ むすめ まご おっと つま かれ かのじょ せんせい
    """.split()
)

# Context nouns after which the next proper noun is a person (担当の秋津, 女性の秋津, 同僚：梶田).
PERSON_CONTEXT_BEFORE = frozenset(
    """
    担当 担当者 職員 同僚 係長 課長 主任 所長 相談員 支援員 心理士 臨床心理士 保健師 看護師 医師
    主治医 担当医 ケースワーカー ワーカー ケアマネ 先輩 後輩 上司 スタッフ 女性 男性 私 通訳 店長
    担任 講師 本人 母 父 兄 姉 弟 妹 祖母 祖父 叔母 叔父 伯母 伯父 夫 妻 長男 次男 長女 次女 息子 娘
    友人 同級生 相談者 対象者 利用者 氏名 名前 宛名 宛先 記入者 報告者 母親 父親 家族 いとこ
    """.split()
)
# Role nouns that label a name slot in bullet notes: 「・本人：つむぎ（19歳）」.
NAME_SLOT_WORDS = frozenset(
    """
    本人 母 父 兄 姉 弟 妹 祖母 祖父 叔母 叔父 伯母 伯父 夫 妻 長男 次男 三男 長女 次女 三女 息子 娘
    母親 父親 相談者 対象者 利用者 担当 担当者 氏名 名前 記入者 報告者 来談者 主治医 担任 通訳
    """.split()
)

# Prefixes that Sudachi sometimes glues onto a surname (祖母原 -> 祖母 + 原).
ROLE_PREFIXES = tuple("祖母 祖父 叔母 叔父 伯母 伯父 母 父 兄 姉 弟 妹 夫 妻 娘 孫".split())

PREFECTURES = frozenset(
    """
    北海道 青森県 岩手県 宮城県 秋田県 山形県 福島県 茨城県 栃木県 群馬県 埼玉県 千葉県 東京都 神奈川県
    新潟県 富山県 石川県 福井県 山梨県 長野県 岐阜県 静岡県 愛知県 三重県 滋賀県 京都府 大阪府 兵庫県
    奈良県 和歌山県 鳥取県 島根県 岡山県 広島県 山口県 徳島県 香川県 愛媛県 高知県 福岡県 佐賀県 長崎県
    熊本県 大分県 宮崎県 鹿児島県 沖縄県
    """.split()
)
PREFECTURE_STEMS = frozenset(p[:-1] if p != "北海道" else p for p in PREFECTURES) | {"東京", "大阪", "京都"}
# Regions above prefecture level are not PII on their own.
REGIONS = frozenset(
    """
    日本 関東 関西 東北 北陸 甲信越 信越 東海 中部 近畿 中国 四国 九州 沖縄 北海道 首都圏 中京 阪神
    京阪神 山陰 山陽 南関東 北関東 東日本 西日本 本州 海外 国内 全国 地方 道内 県内 都内 府内 市内 区内
    """.split()
)

# Facility / organisation heads. A span ending in one of these is an ORG when the part before
# it names something specific (a place, a person, a proper noun, a kana name).
ORG_SUFFIXES = tuple(
    sorted(
        """
        病院 クリニック 医院 診療所 心療内科 精神科 歯科 内科 小学校 中学校 高校 高等学校 学校 大学 短期大学
        短大 専門学校 学園 幼稚園 保育園 保育所 こども園 高専 学院 予備校 フリースクール 株式会社 有限会社
        合同会社 製作所 商事 工業 運輸 建設 電機 産業 物産 商店 農園 工房 工場 営業所 支店 本社 事業所
        作業所 店 協会 協議会 財団 センター ラウンジ ネットワーク 役所 役場 保健所 児童相談所 相談所
        事務所 警察署 消防署 交番 裁判所 図書館 公民館 研究所 相談室 支援室 サポートステーション 社協
        高等部 中等部 中学部 小学部 ホーム 寮 家族会 親の会 会 銀行 信用金庫 信金 信用組合 協同組合 組合
        生協 農協 スクール 博物館 美術館 窓口 相談窓口 ステーション
        """.split(),
        key=len,
        reverse=True,
    )
)
# Heads that need a strong (proper-noun or kana) name part: a common-noun prefix is not enough.
ORG_WEAK_SUFFIXES = frozenset(
    {"店", "会", "ホーム", "寮", "家族会", "親の会", "相談室", "支援室", "事務所", "ステーション", "窓口"}
)

LEGAL_FORMS = tuple(
    """
    特定非営利活動法人 社会福祉法人 医療法人社団 医療法人財団 医療法人 一般社団法人 一般財団法人 公益社団法人
    公益財団法人 学校法人 宗教法人 社会医療法人 NPO法人 株式会社 有限会社 合同会社 合資会社 (株) (有)
    """.split()
)

# Words that describe a kind of facility or service; a name made only of these is generic
# (精神保健福祉センター, 地域若者サポートステーション, 通信制高校, 当センター).
GENERIC_DESCRIPTORS = frozenset(
    """
    当 同 各 本 新 旧 元 前 現 近く 近所 地元 最寄り 最寄 別 他 かかりつけ 掛かり付け 行きつけ 専門
    県立 都立 府立 道立 市立 区立 町立 村立 国立 公立 私立 立 市 区 町 村 県 都 府 道 国 第
    通信 制 通信制 定時 定時制 全日 全日制 単位 単位制 夜間 昼間 特別 支援 特別支援 総合 医療 精神 精神科
    心療 心療内科 内科 外科 小児 小児科 歯科 大学 大学病院 地域 包括 相談 福祉 保健 健康 子ども 子供 こども
    児童 家庭 家族 若者 青少年 少年 女性 男女 共同 参画 就労 移行 継続 生活 自立 障害 障害者 障がい 障碍
    発達 就業 職業 訓練 能力 開発 労働 雇用 教育 研究 公共 安定 市民 区民 町民 県民 国際 交流 文化 活動
    ひきこもり 引きこもり 引籠り 不登校 自殺 対策 予防 救急 救命 急性 急性期 療養 介護 老人 高齢 高齢者
    社会 協議 更生 基幹 拠点 居場所 作業 治療 依存 依存症 薬物 アルコール 回復 リハビリ リハビリテーション
    療育 就学 就職 進路 消費 人権 母子 父子 配偶 暴力 被害 犯罪 ひとり親 一般 中央 総合病院 民間 個人
    単科 有床 無床 大 小 中 高 高等 中等 初等 義務 幼 保育 ケア デイ デイケア ナイト ショート グループ
    サポート ステーション メンタル メンタルヘルス ヘルス カウンセリング コミュニティ サービス コール
    オンライン ネット ゲーム コンビニ スーパー ファミレス カフェ ドラッグ ドラッグストア ホーム
    こころ 心 心の こころの いのち 命 まちづくり 地域活動 相談支援 生活支援 就労支援 精神保健
    精神保健福祉 保健福祉 社会福祉 地域包括支援 地域生活 権利 擁護 成年 後見 法律 法 司法 行政
    警察 消防 裁判 家庭裁判 税務 年金 職安 公 民 私 営 事業 本部 支部 分室 出張 窓口 福祉課 保護課
    学生 生徒 教員 教職員 看護 薬局 調剤 歯 眼科 皮膚科 整形 整形外科 産婦人科 脳 神経 神経科
    医科 附属 付属 大学附属 私塾 学習 学習塾 個別 進学 受験 フリー スクール 通所 入所 施設
    動物 女子 男子 養護 聾 盲 体育 音楽 芸術 美術 工業 外国語 商業 農業 工科 理科 薬科 工芸 水産 看護 赤十字
    公民 市民 県民 府民 道民 都民 町民 村民 区民 病棟 外来 分院 本院 新設 既存 近隣 周辺 付近 大手 中小 零細
    """.split()
)

# Building words that may follow a street address (コーポ楓203号室, メゾン北光205).
BUILDING_WORDS = tuple(
    """
    コーポ メゾン ハイツ マンション アパート レジデンス ハイム コート パレス ヴィラ ビル 団地 住宅 タワー
    ヒルズ シャトー カーサ ドミール ハウス プラザ テラス 荘 寮 棟 館 号室
    """.split()
)
# Landmarks: a proper noun followed by one of these is a PLACE (吉祥寺駅, 光が丘団地, 井の頭公園).
LANDMARK_SUFFIXES = tuple("駅 団地 公園 ニュータウン 商店街 神社 霊園 港 ヶ丘 が丘 川 湖 海岸 河川敷".split())
