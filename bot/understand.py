"""Understanding a message in its conversation: one typed record that every later stage reads.

Rules only, no encoder: the message is cleaned once (control characters, emoji, typos, pinyin), its language and
script noted, split into its questions, and each question read for its form (yes/no, what, how…), who it is about,
its focus terms and, against the dialogue state built from the history, what kind of follow-up it is and what it
asks in full ("那学生呢" after "单位有哪些反间谍安全防范义务" asks 学生有哪些反间谍安全防范义务).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace

from .corpus import Citation, Corpus, Fact, Subject
from .dialogue import DialogueState, Turn
from .normalize import Glossary, normalize, strip_control, to_simplified
from .numerals import NUMERAL, parse_number
from .segment import Segmenter
from .spelling import Speller

MAX_PARTS = 3  # questions answered from one message; more are answered together with the last

# ---------------------------------------------------------------- question forms (on normalised text)

# Indefinite uses of question words ("什么都要报告吗") do not make an open question.
_INDEFINITE = re.compile(r"好几|什么都|什么也|谁都|谁也|哪都|哪儿都|怎么都|多少都|无论|不管")
_FORMS = (
    ("when", re.compile(r"什么时候|啥时候|何时|哪天|哪一天|哪一年|哪年|几月几|几号|什么时间|多久|\bwhen\b|what (date|day|year)")),
    ("who", re.compile(r"谁|哪个部门|哪些部门|哪个机关|哪些机关|什么部门|什么机关|哪个单位负责|哪家|\bwho(m|se)?\b|which (department|authority|authorities|agency|body|organ)s?")),
    ("howmany", re.compile(r"多少|几[条个次年天种项类位名份岁级等倍]|几成|\bhow (many|much|long|often)\b")),
    ("why", re.compile(r"为什么|为啥|凭什么|为何|干嘛要|\bwhy\b")),
    ("what", re.compile(r"(怎么|怎样|如何)(规定|说|讲|写|要求|定义|解释)的?|what does .* say")),  # what the rule says, not how to act
    ("how", re.compile(r"怎么|怎样|如何|咋|(向|去|到|找|跟|和)哪(里|儿|个地方)|该做什么|要做什么|要干什么|得做什么|做什么|干什么|干啥|做啥|要做哪些|\bhow\b|what (should|can|must|do) (i|we|they|you|one)\b|what (should|can|must|shall) [a-z ]{1,30}\bdo\b")),
    ("what", re.compile(r"什么|哪些|哪个|哪种|哪类|哪条|啥|哪|\bwhat\b|\bwhich\b")),
)
_YESNO = re.compile(
    r"吗|么[？?]?$|是否|是不是|能不能|可不可以|会不会|有没有|算不算|要不要|该不该|用不用|需不需要|需要不|对不对|行不行|可以不|是真的|对吧|吧[？?。]*$|(?<=[\u4e00-\u9fff])不[？?]*$"  # "能给钱不": a verb and 不 at the end asks yes or no
    r"|^(is|are|can|could|do|does|did|should|must|will|would|may|am|have|has|was|were)\b"
)


def question_form(text: str) -> str:
    """yesno | what | how | why | howmany | when | who, or none (a statement, a request)."""
    text = _INDEFINITE.sub("", normalize(text))
    for form, pattern in _FORMS:
        if pattern.search(text):
            return form
    return "yesno" if _YESNO.search(text) or text.endswith(("?", "？")) else "none"


OPEN_FORMS = frozenset({"what", "how", "why", "howmany", "when", "who"})

# ---------------------------------------------------------------- follow-ups

_LEAD = r"^(?:那么?|那如果|如果是?|要是|换成|对于|对|关于|那对于|and|what about|how about)?\s*"
_SUBJECT_SWAP = re.compile(_LEAD + r"(?P<who>[^，,。？?！!]{1,12}?)\s*(?:呢|的话呢|的话|也是吗|也一样吗|也要吗|也适用吗|也算吗|怎么样|\?|？)*[？?。!！\s]*$")
_LEGAL_BASIS = re.compile(r"上位法|制定依据|立法依据|根据哪些法|依据哪些法|根据什么法|legal basis of|based on which law")
_WHICH_ARTICLE = re.compile(
    r"(哪一?条|哪个条款|哪个法条|哪些条|什么条款|第几条|依据(是|呢|在哪)|(法律)?依据是什么|根据(是)?什么|根据哪|出处|出自|原文(呢|在哪)|哪部法|哪个法|哪条法"
    r"|which (article|law|rule|provision)|what (article|law|provision)|legal basis|where does it say|source\??$)"
)
_SIMPLER = re.compile(
    r"(说|讲|解释|写)?得?(简单|通俗|明白|直白|白话|浅显|清楚)(一)?点|听不懂|看不懂|没看懂|没听懂|不太懂|不懂|不明白|太复杂|太长|简单说|简单讲|通俗说|大白话|换个说法"
    r"|举个?例子|比如说?呢|例如呢|for example|an example|simpler|plain (english|words|language)|in short|explain (it|that)|eli5|don'?t understand"
)
_MEANING = re.compile(r"(什么|啥)意思[？?]*$|what does (it|that) mean")
_THIS_ARTICLE = re.compile(r"(这|该|那|上面的?|刚才的?|上一)(一)?[条款项]|这(个|些)?(规定|条文|条款|法条)|this (article|rule|provision)|that (article|rule|provision)")
_WHY = re.compile(r"^(那|可是|但是)?\s*(为什么|为啥|凭什么|为何|why)")
_OTHERS = re.compile(r"^(那)?(其他|其它|别的)(的)?(呢|人呢|单位呢|部门呢)?[？?]*$|^(and )?(the )?others\??$|^what about (the )?others")
_MORE = re.compile(r"^(还有(吗|呢|别的|其他|什么|没有)?|其他的?呢|别的呢|然后呢|还有没有|除此之外|另外呢|再说说|继续|more|anything else|what else|and\??$|go on)")
# asks what follows from something: a penalty, a consequence
_PENALTY = (
    r"罚|处罚|处分|后果|会怎[么样]|怎么处理|负什么责任|担什么责任|法律责任|坐牢|判刑|拘留|判几年|追究"
    r"|penalt|punish|fine[ds]?\b|consequence|jail|prison|happens if"
)
_CONSEQUENCE = re.compile(
    _PENALTY + r"|违反|违规|不遵守|不做|不执行|不履行|不配合|不报告|拒绝|^(那|要是|如果)?(我|我们)?(就)?不(给|交|提供|照做|去|签|说)(呢|的话|会怎样|会怎么样)"
    r"|what if .* (don'?t|refuse)"
)
_ASKS_PENALTY = re.compile(_PENALTY)
_NOT_DOING = re.compile(r"不(做|干|搞|弄|办|执行|履行|落实|遵守|培训|配合|照做|开展|组织|报告|上报)|没(做|干|搞|落实|履行|开展|组织)|\b(don'?t|do not|didn'?t|did not|fail)")
_CONFIRM = re.compile(r"^(那)?(必须|一定|强制|非得|可以不|能不|是不是必须|是强制|硬性|一定要|必须要|非要)|^(is it|must|mandatory|compulsory|required)")
_LEADING = re.compile(r"^(那|那么|还有|另外|如果|要是|假如|然后|and|so|then|but|what about|how about)\b|^(那|那么|还有|另外|如果|要是|假如|然后)")
_REFERS_BACK = re.compile(r"这种|这类|这样的|那种|这个情况|这事|这件事|他们|她们|它们|^他|^她|^它|刚才|上面|前面说|你说的|\b(they|them|it|this|that|those|these|him|her|he|she)\b")
_PRONOUN = re.compile(r"他们|她们|它们|\b(?:they|them)\b")  # who a topic without a subject word was about ("它们要每年培训几次")
_ANAPHORA = re.compile(r"^(那|那么|还有|另外|如果|要是|假如|然后|and |so |then |but )|(呢|的话)[？?。!！]*$|这个|那个|上面|刚才|前面|它|他们|她们|这样|那样|\b(it|that|this|they|those)\b")
# someone who says they themselves did something that may have harmed national security: an act, and what it involved
_SELF_DID = re.compile(
    r"(我|俺|本人|我们|我家|我儿子|我女儿|我孩子|我老公|我老婆|我爸|我妈|我朋友)(?:已经|之前|以前|曾经|刚才|刚刚|昨天|前几天|前段时间|上个月|去年|也|都|不小心|没多想)?"
    r"(?:(?!同事|同学|邻居|老板|领导|室友|亲戚|熟人|有人|别人|发现|看到|看见|怀疑|听说|觉得)[^，。？?！!]){0,14}?(发了|发过|发给|给了|给过|交给|卖给|寄给|传给|拍了|拍过|卖了|卖过|收了钱|收过钱|签了|签过|提供了|提供过|传了|传过|泄露了|泄露过|透露了|透露过|答应了|加入了|安装了|寄了|寄过|拷了|拷走|带走了)"
    r"|(我|本人|我家人?|我孩子)[^，。？?！!]{0,6}?(被|遭到|受到)[^，。？?！!]{0,6}?(胁迫|威胁|要挟|骗|诱骗|策反|拉拢|控制|利用)"
    r"|\bi (already |have |had |just |once )?(sent|gave|shared|sold|took|signed|installed|leaked|passed|uploaded|photographed|handed)\b"
    r"|\bi (was|got|have been) (coerced|forced|tricked|blackmailed|recruited|threatened)"
    r"|\b(paid|hired) me (to|for)\b"  # took the money for it: "someone paid me to send him documents"
    r"|(发过|给过|卖过|拍过|提供过|传过|泄露过|签过|寄过)[^，。？?！!]{0,10}?(资料|照片|图纸|文件|数据|信息|情报|东西|视频|位置)"
    r"|^(曾经?)?被[^，。？?！!]{0,4}?(骗|胁迫|威胁|要挟|诱骗|策反|拉拢)"
)
# ...and what it involved: material, money, a foreign or unknown counterpart, a military site
_INVOLVING = re.compile(
    r"照片|资料|图纸|文件|数据|信息|情报|视频|位置|参数|名单|架构|涉密|密级|机密|军|港|部队|舰|基地|境外|国外|外国|网友|对方|间谍|钱|兼职|稿|报酬|好处|协议|设备|仪器|盒子"
    r"|photo|picture|document|file|data|information|secret|classified|military|navy|naval|port|base|foreign|money|paid"
)
_HANDED_OVER = re.compile(r"(发|给|交|卖|寄|传|提供|透露|泄露)(给|了|过)|收了钱|收过钱|答应了|\b(sent|gave|sold|handed|passed|shared|leaked|told)\b")
_TO_AUTHORITIES = re.compile(r"(给|向|交给|告诉|报告|提供给|交到)(了)?(国安|国家安全机关|派出所|公安|警察|12339|单位领导|保卫处|保密办)|state security|police")
# "企业要做什么": who, and a bare "what must they do" — the domain's core question, asked in full for search
# what someone must do, or how it concerns them ("跟我们学生有什么关系")
_DUTY = re.compile(
    r"(要|该|得|需要|应该|应当|必须)?(做|干|负责|履行)(什么|啥|哪些)|义务|责任|职责|要求|注意什么|注意啥|(有|有没有)(什么|啥)?关系|关系大吗"
    r"|duties|duty|obligations?|responsibilit|what (must|should|do) .* do"
)
_DUTY_WORDS = frozenset({"义务", "责任", "职责", "要求", "注意", "负责", "履行", "做", "干", "承担", "关系"})
_PAST = re.compile(r"了|过(?![去来])|\b(already|sent|gave|took|sold|told|shared|signed|posted|emailed|answered|installed|leaked|uploaded|photographed|passed|paid|did)\b")
# an account of retaliation going on after reporting or helping ("举报了…最近有陌生人在我家楼下转悠"): a danger to report
_THREATENED = re.compile(r"(我|已经)[^，。？?！!]{0,6}(举报|报告|协助)(了|过)[^，。？?！!]{0,20}(陌生人|威胁|骂|跟踪|骚扰|转悠|盯|恐吓)")
# fear of retaliation for reporting or helping, or an account of it: a question about protection, not a new report
_RETALIATION = re.compile(r"报复|穿小鞋|刁难|排挤|整我|找我麻烦|找麻烦|retaliat|revenge|(after|since|because) i (reported|helped)|" + _THREATENED.pattern)
# ...unless they say they have not done it ("I haven't sent anything yet", "我还没发")
_NOT_DONE = re.compile(r"还没|没有(发|给|拍|做|答应|收|签|寄|传)|尚未|\b(haven'?t|have not|hasn'?t|didn'?t|did not|not yet|never)\b")
# a supposition ("要是我举报错了呢") is not something done, unless it supposes it done already ("what if I'd already sent them")
_SUPPOSITION = re.compile(r"(要是|如果|假如|假设|万一|\bif\b)(?!.*(已经|早就|already))")
_PRESSED = re.compile(r"(他|她|对方|他们|she|he|they)\s*(还|又|一直|继续|still|keeps?)?\s*(让|要|叫|逼|催|wants? me|asks? me|asking me|pushing me)")
_SPEAKER_ALONE = re.compile(r"我(?!们)|俺(?!们)|\b(i|me|my)\b")  # one person, not "我们" (often a unit)
_FIRST_PERSON = re.compile(r"我|俺|\b(i|me|my|we|us|our)\b")
# a question opening on a modal verb has left out what it is about ("能卖废品吗", "can i open it")
_ELIDED_SUBJECT = re.compile(r"^(能不能|能|可以|可不可以|要不要|要|该不该|该|需不需要|需要|会不会|用不用|敢不敢|(can|could|should|may|must) (i|we)\b)")
_REPORT_NOW = re.compile(r"(现在|马上|立刻|立即|这就)(就)?(要|想)(去)?(举报|报案)|^我要(举报|报案)|\bi want to report\b")
_INJECTION = re.compile(
    r"ignore (all |any |your |the )?(previous |above |prior |earlier )?(instructions|rules|prompt|guidelines)|disregard (your|the|all)"
    r"|忽略(以上|之前|前面|上面|你的|所有|全部)|无视(以上|之前|你的|所有)|忘(掉|记)(你的|之前|以上|所有)(的)?(指令|规则|设定|限制|提示)"
    r"|(你|您)现在(是|扮演|作为)|扮演(一个|一名|一位)?|假装(你|自己|是)|角色扮演|role.?play|pretend (you|to be)|act as\b|you are now\b"
    r"|system prompt|系统提示|提示词|越狱|jailbreak|\bdan\b|developer mode|开发者模式|不受(任何)?限制|没有(任何)?限制"
)
_GREETING_ONLY = re.compile(
    r"^(?:(?:你好|您好|嗨|哈喽|哈啰|hello|hi|hey|在吗|在不在|有人吗|早上好|上午好|中午好|下午好|晚上好|早安|晚安|谢谢|多谢|感谢|谢啦|谢谢你|thanks?|thank you"
    r"|再见|拜拜|bye|goodbye|好的|好|嗯|ok|okay|明白了|知道了|懂了|收到|了解|我想问(一下|个问题|问题)?|请问|打扰了|小助手|机器人"
    r"|哦|噢|喔|嗯嗯|哈哈|好滴|xiexie|nihao|zaijian|baibai|got it|great|cool|nice"
    r"|(?:谢谢|感谢)(?:你|您)?的(?:解答|回答|帮助|耐心|讲解)|(?:很|非常|太|真)?(?:有帮助|有用|清楚|详细)|辛苦了|that helps|very helpful|helpful)[呀啊吗呢哈啦了!！。.,，～~\s]*)+$"
)
_THANKS = re.compile(r"谢|thank|xiexie|帮助|有用|清楚|详细|辛苦|helpful|that helps", re.I)
_GOODBYE = re.compile(r"再见|拜拜|回头见|\bbye\b|goodbye|晚安|zaijian|baibai", re.I)
_ACK = re.compile(r"^(好的|好|嗯|嗯嗯|哦|噢|喔|哈哈|好滴|ok|okay|明白了|知道了|懂了|收到|了解|got it|great|cool|nice)[呀啊了哦!！。.,，～~\s]*$")

# ---------------------------------------------------------------- facts about a document

_DOC_NAMES = (  # how people name each document; the primary document is the default (办法, 这个规定…)
    ("jubao-jiangli-2022", ("举报奖励办法", "奖励办法", "公民举报危害国家安全行为奖励办法", "reward measures")),
    ("shishixize-2017", ("实施细则", "反间谍法实施细则", "implementing rules", "implementation rules")),
    ("guojiaanquanfa-2015", ("国家安全法", "national security law")),
    ("fanjiandiefa-2023", ("反间谍法", "counter-espionage law", "counterespionage law", "anti-espionage law")),
)
_PRIMARY_NAMED = re.compile(r"办法|浙江|the measures|zhejiang")
# the measures named in a Chinese question (English questions name them in too many ways to strip safely)
_PRIMARY_BY_NAME = re.compile(r"浙江省?(的|这个|这部)?(反间谍安全防范)?办法|(这个|本)办法|反间谍安全防范办法")
_ALL_DOC_NAMES = sorted(
    {n for _, names in _DOC_NAMES for n in names}
    | {"浙江省反间谍安全防范办法", "反间谍安全防范办法", "浙江省反间谍防范办法", "浙江的办法", "浙江办法", "浙江这个办法", "本办法", "《", "》", "浙江省", "浙江"},
    key=len, reverse=True,
)
_DOC_NAME = re.compile("|".join(map(re.escape, _ALL_DOC_NAMES + ["这个办法", "办法", "the measures", "measures"])), re.I)
# a follow-up that only names another text ("那反间谍法呢", "zhejiang de banfa ne", "and the national security one?"):
# the question before, asked of that text. Loose English names are safe here, where nothing else is said.
_OTHER_DOC_NAMES = (("guojiaanquanfa-2015", ("national security",)), ("fanjiandiefa-2023", ("counter-espionage", "anti-espionage", "espionage law")))
_DOC_SWAP_FILLER = re.compile(
    r"[\W_]|那么|那个|那部|那|还有|另外|另一个|另一部|呢|的|里|中|上|怎么说|怎么规定|规定|说|and|what|about|how|the|other|one|law|in|of|on|says?|[?？]"
)
_DOC_REFERENCE = re.compile(
    r"办法|这个规定|这部规定|这部法|这个法|这个文件|规章|它|本法|这个|那个|the zhejiang|zhejiang|counter-?espionage|anti-?espionage|security"
    r"|measures?|rules?|regulations?|this law|the law|they|them|it\b|these|the\b|of\b|and\b|do\b|does\b|did\b|have\b|has\b"
)
_DOC_FACTS = (
    ("issuer", re.compile(r"(哪个|什么|哪一?级|谁)(部门|机关|单位|政府|人)?(发布|制定|颁布|出台|公布|发的|定的|出的|签发)|谁(发布|制定|颁布|出台)的?|谁(定|出)的|发布(机关|单位|部门|者)|制定(机关|单位|部门|者)|who (issued|made|wrote|published|enacted)|issued by")),
    ("order_no", re.compile(r"令号|第几号令?|几号令|文号|哪号令|政府令|order (number|no)")),
    ("count", re.compile(r"(一共|总共|共|全文)?(有)?(?<!哪)(多少|几)条|条数|how many articles")),
    ("status", re.compile(r"(还|仍然|目前|现在)?(有效|生效中|管用|作废|失效|废止|过期|现行)|still (valid|in force|effective)|repealed|expired")),
    ("changes", re.compile(r"(修改|修订|改)了(哪些|什么|啥)|(哪些|什么)(修改|变化|改动)|what (has )?changed|which changes")),
    ("revised", re.compile(r"(修改|修订|改)过|有没有(修改|修订|改)|(修改|修订|改)了几次|\b(amended|revised)\b")),
    ("effective", re.compile(r"(什么时候|哪天|何时|哪一天|哪一?年|几号|啥时候)(开始)?(施行|实施|生效|执行|起施行|出的|出台|发布|颁布)|(施行|实施|生效)(日期|时间|的时间)|(从|自)哪天|when .*(take effect|in force|effective|start|issued|published)")),
)
_FACT_GLUE = re.compile(r"[吗呢吧嘛啊呀了的是还都也]|现在|目前|仍然|请问|一下|知道")
_FACT_WORDS = re.compile(r"\d{4}年?|几次|修改|修订|以后|之后|发布|制定|颁布|出台|公布|签发|令号|号令|文号|多少条|几条|条数|有效|生效|管用|作废|失效|废止|过期|现行|施行|实施|执行|issued|order|articles|valid|force|effect|repealed|when|how many|how|many|what|take|took|\band\b|in\b")

# ---------------------------------------------------------------- explicit article references

ARTICLE_REF = re.compile(rf"第\s*({NUMERAL}|\d+)\s*条(?:\s*第\s*({NUMERAL}|\d+)\s*款)?|\barticle\s+(\d+)\b(?:\s*(?:,|paragraph|para\.?)\s*(\d+))?", re.I)
# what a person says an article is about ("是讲自首的吧", "是规定举报奖励的吗")
_CLAIM = re.compile(r"^(?:是|就是)?(?:讲|说|管|规定)(?:的是)?(?P<claim>[\u4e00-\u9fff]{2,8}?)的?(?:吧|吗|嘛|对吧|是吧|对不对)")
# "跟学校有关的是哪几条", "哪些条款涉及举报": which articles speak of something
_WHICH_ARTICLES_ON = re.compile(
    r"(?:跟|和|与|涉及|关于|讲)(?P<what>[^，,。？?]{1,12}?)(?:有关|相关)?的?(?:条文|规定|内容)?(?:是|有)?(?:哪几条|哪些条款?|哪几个条款|哪几款)"
    r"|(?:哪几条|哪些条款?)(?:是)?(?:跟|和|涉及|讲|关于)(?P<what2>[^，,。？?]{1,12}?)(?:有关|相关)?的?[？?]?$"
)
_LOOKUP_WORDS = re.compile(r"是什么|讲(了)?什么|说(了)?什么|内容|原文|全文|规定了?什么|怎么说|写的什么|什么意思|啥意思|what does|what is|what's|say|text of|mean")

_EMOJI = re.compile(r"[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE00-\uFE0F\U000E0020-\U000E007F\u20E3]")
_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")
_LATIN_LETTER = re.compile(r"[a-zA-Z]")


ENGLISH_FUNCTION_WORDS = frozenset(
    "the a an and or but if of to in on at for with from by about as is are was were be been being do does did have has had "
    "there here this that these those it its they them their we our you your he she him her i me my what which who whom whose "
    "when where why how can could should would will shall may might must not no yes any some many much more most very just "
    "again also too so then than into out up down over under all each every other another such only own same".split()
)


def clean(text: str) -> str:
    """The message as typed, without control characters, emoji or symbols, spaces collapsed."""
    text = _EMOJI.sub(" ", strip_control(text))
    text = "".join(" " if unicodedata.category(ch) in ("So", "Sk", "Co", "Cn") else ch for ch in text)
    return re.sub(r"\s+", " ", text).strip()


def language(text: str) -> str:
    """zh-Hans, zh-Hant or en: the script and language to answer in."""
    han = len(_CJK_CHAR.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    if latin > 3 * han and latin >= 2:
        return "en"
    simplified = to_simplified(text)
    changed = sum(a != b for a, b in zip(text, simplified))
    return "zh-Hant" if changed and changed >= max(1, han // 20) else "zh-Hans"


# ---------------------------------------------------------------- the records


@dataclass(frozen=True)
class ArticleRef:
    """An explicit "第九条" / "反间谍法第四条第二款" in the message."""

    doc_id: str
    number: int
    paragraph: int | None
    written: str  # as the person wrote it (第99条, for "there is no such article")
    claim: str = ""  # what the person says it is about ("第二十七条是讲自首的吧"), checked against its text


@dataclass(frozen=True)
class Part:
    """One question of the message."""

    text: str  # as asked (cleaned, typos fixed)
    query: str  # what to search for: the question, completed from the conversation when it is a follow-up
    form: str  # yesno | what | how | why | howmany | when | who | none
    subjects: tuple[str, ...]  # who it is about (subjects.yaml names), in order of appearance
    focus: tuple[str, ...]  # what it is about: its content tokens, subjects included, function words excluded
    follow_up: str = ""  # '' | subject | document | consequence | which_article | simpler | this_article | why | more | confirm | context
    lookup: ArticleRef | None = None
    doc_fact: tuple[str, tuple[str, ...]] | None = None  # (doc_id, facts asked: issuer order_no count status changes revised effective)
    mentions: tuple[str, str, tuple[str, ...]] | None = None  # "跟学校有关的是哪几条": (doc_id, what, the words for it)
    premise: tuple[Fact, str] | None = None  # a fact named with a value: (the fact, the value written)
    document: str | None = None  # the one text the question names ("浙江办法里…", "反间谍法对…"): it is asked about that text
    others_than: str = ""  # "其他的呢" after 媒体's duties: the subject the question is no longer about
    tied: bool = False  # leans on the conversation: points back, shares a word with the topic, or has no subject of its own after a situation
    asks_penalty: bool = False  # asks what follows ("拒绝提供证据有什么后果"): the liability articles answer it first


@dataclass(frozen=True)
class Understanding:
    """Everything later stages need to know about a message."""

    text: str  # cleaned, typos fixed
    lang: str  # zh-Hans | zh-Hant | en
    parts: tuple[Part, ...]
    state: DialogueState
    greeting: str = ""  # greeting | thanks | goodbye | ack, when the message is only that
    self_involved: bool = False  # says they themselves did something (or said so earlier and now asks what follows)
    confesses: bool = False  # says in this message what they themselves did ("我已经把照片发给他了")
    past: bool = False  # speaks of something done (了/过, a past tense): with the classifier, a sign of self-involvement
    denies: bool = False  # says it has not been done (yet) ("I haven't sent anything yet"): still tells of the situation
    involving: bool = False  # names what espionage is about: material, money, a foreign counterpart, a military site
    report_now: bool = False  # says they want to report now
    pressed: bool = False  # the other side presses on ("他还让我继续拍"): a situation going on, to act on
    retaliation: bool = False  # fears or tells of retaliation for reporting ("怕他们报复我"): asks about protection
    threatened: bool = False  # tells of retaliation going on ("举报了…有陌生人在我家楼下转悠"): a danger to report, protection to ask for
    injection: bool = False  # tries to change the bot's instructions or role
    sensitive: bool = False  # asks for an opinion on a political or sensitive subject (sensitive.yaml)
    flags: dict = field(default_factory=dict, compare=False)

    @property
    def is_follow_up(self) -> bool:
        """The first question leans on the conversation."""
        return bool(self.parts and self.parts[0].follow_up)


# ---------------------------------------------------------------- the stage


class Understander:
    """Reads messages for one corpus (its subjects, facts, documents and vocabulary)."""

    def __init__(self, corpus: Corpus, segmenter: Segmenter, speller: Speller, vocabulary: set[str], glossary: Glossary | None = None):
        self.corpus, self.segmenter, self.speller, self.vocabulary = corpus, segmenter, speller, vocabulary
        self.glossary = glossary
        self.primary = corpus.primary.doc_id
        words = [(normalize(w), s) for s in corpus.subjects for w in s.words]
        self._subject_words = sorted(words, key=lambda ws: len(ws[0]), reverse=True)
        self._subject_pattern = _alternation([w for w, _ in self._subject_words])
        self._subject_of = dict(self._subject_words)
        self._liable_as = {s.name: s.liable_as for s in corpus.subjects}
        self._subject_tokens = {t for w, _ in self._subject_words for t in segmenter.tokens(w)}
        self._sensitive_subject = _alternation(sorted({normalize(w) for w in corpus.sensitive.get("subjects", ())}, key=len, reverse=True))
        self._sensitive_asking = _alternation(sorted({normalize(w) for w in corpus.sensitive.get("asking", ())}, key=len, reverse=True))
        fact_names = [(normalize(n), f) for f in corpus.facts for n in f.names]
        self._fact_names = sorted(fact_names, key=lambda nf: len(nf[0]), reverse=True)
        self._report_intros = tuple(str(r.get("report_intro", "")) for r in (corpus.responses, corpus.responses_en) if r.get("report_intro"))
        self._fact_values = sorted(((normalize(v), f) for f in corpus.facts for v in f.values), key=lambda vf: len(vf[0]), reverse=True)

    # ------------------------------------------------------------ public

    def understand(self, message: str, history: list[Turn] | tuple[Turn, ...] = ()) -> Understanding:
        """The message read in its conversation."""
        state = self.state(history)
        text = self._repair(clean(message))
        lang = language(text)
        norm = normalize(text)
        greeting = self._greeting(norm)
        parts = self._parts(text, state) if not greeting else ()
        # a witness just told what to do ("我已经拍了照片，要不要发到群里") took pictures of what they saw: they confess
        # only to handing something over
        witness = any(a.startswith(self._report_intros) for a in map(to_simplified, state.answers[-2:]))
        confesses = _confesses(norm) and not (witness and not _HANDED_OVER.search(norm))
        denies = bool(_NOT_DONE.search(norm))
        # after saying they did something, a question about punishment ("我会坐牢吗") is about them, and so is the
        # other side pressing on ("他还让我继续拍"): what to do now is stop and come forward
        pressed = bool(_PRESSED.search(norm))
        self_involved = confesses or (state.self_involved and bool(_CONSEQUENCE.search(norm) or pressed))
        return Understanding(
            text=text,
            lang=lang,
            parts=parts,
            state=state,
            greeting=greeting,
            self_involved=self_involved,
            confesses=confesses,
            past=bool(_PAST.search(norm)) and not denies and not _SUPPOSITION.search(norm),
            denies=denies,
            involving=bool(_INVOLVING.search(norm)),
            report_now=bool(_REPORT_NOW.search(norm)),
            pressed=pressed,
            retaliation=bool(_RETALIATION.search(norm)),
            threatened=bool(_THREATENED.search(norm)),
            injection=bool(_INJECTION.search(norm)),
            sensitive=self._is_sensitive(norm),
        )

    def _is_sensitive(self, norm: str) -> bool:
        """Names a political or sensitive subject (sensitive.yaml) and asks for an opinion, a judgement or a status."""
        subject = self._sensitive_subject and self._sensitive_subject.search(norm)
        return bool(subject and self._sensitive_asking and self._sensitive_asking.search(norm))

    def state(self, history) -> DialogueState:
        """The dialogue state after the given turns (rules only: earlier messages are never searched again)."""
        state = DialogueState()
        for turn in history:
            if turn.role == "bot":
                # "这条" is the last answer that showed an article: a refusal in between shows none
                state = replace(state, shown=tuple(turn.citations) or state.shown, answers=(*state.answers[-2:], turn.text))
                continue
            text = self._repair(clean(turn.text))
            norm = normalize(text)
            state = replace(state, user_turns=state.user_turns + 1, self_involved=state.self_involved or _confesses(norm))
            if self._greeting(norm):
                continue
            for part in self._parts(text, state):
                state = _carry(state, part)
        return state

    def subjects(self, text: str) -> tuple[str, ...]:
        """Who a text is about, in order of appearance (longest words first: 重点单位 before 单位), a subject named
        inside another's name last ("什么样的单位算重点单位" is about 重点单位)."""
        if self._subject_pattern is None:
            return ()
        norm = normalize(text)
        matches = list(self._subject_pattern.finditer(norm))
        if not matches:
            return ()
        bounds, at = {0}, 0
        for word in self.segmenter.words(norm):
            at += len(word)
            bounds.add(at)
        # a whole word, not part of a longer term ("组织" in 间谍组织 is no 单位)
        words = [m.group(0) for m in matches if m.group(0).isascii() or (m.start() in bounds and m.end() in bounds)]
        inside = [any(w != other and w in other for other in words) for w in words]
        found = [self._subject_of[w].name for _, w in sorted(zip(inside, words), key=lambda pair: pair[0])]
        return tuple(dict.fromkeys(found))

    def focus(self, text: str) -> tuple[str, ...]:
        """What a question is about: its dictionary words of two or more characters, function words dropped
        (single characters are too ambiguous to judge coverage by)."""
        if self.glossary is not None and _LATIN_LETTER.search(text):
            text = self.glossary.expand(text)  # an English question is judged by the Chinese terms of its phrases
        words = lambda t: tuple(dict.fromkeys(w for w in self.segmenter.tokens(t, guess_words=False) if len(w) > 1))
        # which document is asked about is not what is asked ("浙江办法里对奖励怎么说的" is about 奖励)
        return words(_DOC_NAME.sub(" ", text)) or words(text)

    # ------------------------------------------------------------ steps

    def _repair(self, text: str) -> str:
        """Typos and pinyin towards the corpus's terms, keeping the asker's script (the speller works on simplified
        text; characters it did not change keep their original form)."""
        lowered = text.lower() if text.isascii() else text
        simplified = to_simplified(lowered)
        fixed = self.speller.correct(simplified.lower())
        if fixed == simplified.lower():
            return text
        if len(fixed) == len(simplified):
            return "".join(o if f == s.lower() else f for o, s, f in zip(text, simplified, fixed))
        return fixed

    @staticmethod
    def _greeting(norm: str) -> str:
        if not norm or not _GREETING_ONLY.match(norm):
            return ""
        if _THANKS.search(norm):
            return "thanks"
        if _GOODBYE.search(norm):
            return "goodbye"
        return "ack" if _ACK.match(norm) else "greeting"

    def _parts(self, text: str, state: DialogueState) -> tuple[Part, ...]:
        parts: list[Part] = []
        for piece in split_questions(text):
            part = self._part(piece, state)
            parts.append(part)
            state = _carry(state, part)
        return tuple(parts)

    def _part(self, text: str, state: DialogueState) -> Part:
        norm = normalize(text)
        form = question_form(norm)
        subjects = self.subjects(norm)
        lookup = self._lookup(norm, state.topic)
        swapped = self._document_swap(norm) if state.topic and not lookup else None
        if swapped:  # the question before, asked of another text
            return self._asked_of(text, swapped, state)
        doc_fact = self._doc_fact(norm, state.topic)
        # a fact about a text ("一共多少条") stands alone, and is the topic "那反间谍法呢" asks of another text
        kind = "" if lookup or doc_fact or state.is_empty else self._follow_up_kind(norm, subjects)
        others_than = state.subject if kind == "more" and _OTHERS.match(norm) else ""
        query = self._resolve(text, norm, kind, subjects, state, others_than)
        document = self._document_asked(norm)
        if document:  # searched within that text (Corpus.scope): its name says nothing about what is asked
            query = _DOC_NAME.sub(" ", query).strip() or query
        if kind == "subject" and not subjects:
            kind = "context"
        if kind in ("confirm",):
            form = "yesno"
        elif kind == "subject" and question_form(norm.rstrip("?？")) == "none":
            form = question_form(normalize(query))  # "那学校呢", "and companies?" ask what the question they stand for asked
        return Part(
            text=text,
            query=query,
            form=form,
            subjects=subjects or (self.subjects(query) if kind else ()),
            # a question asked anew in the texts' words ("他会不会找我麻烦": 打击报复) is about what those words say
            focus=self.focus(query if kind == "subject" or (not kind and query != text) else text),
            follow_up=kind,
            lookup=lookup,
            doc_fact=doc_fact,
            mentions=self._mentions(norm),
            premise=self._premise(norm, form),
            tied=self._tied(norm, subjects, state),
            document=document,
            others_than=others_than,
            asks_penalty=kind == "consequence" or bool(_ASKS_PENALTY.search(norm)),
        )

    def _document_swap(self, norm: str) -> str | None:
        """The text a message names and nothing else ("那反间谍法呢"), or None."""
        named = _document_named(norm) or next((d for d, names in _OTHER_DOC_NAMES if any(n in norm for n in names)), None)
        if named is None and _PRIMARY_NAMED.search(norm):
            named = self.primary
        if named is None:
            return None
        rest = _DOC_NAME.sub("", norm)
        for _, names in _OTHER_DOC_NAMES:
            for name in names:
                rest = rest.replace(name, "")
        return named if not _DOC_SWAP_FILLER.sub("", rest) else None

    def _asked_of(self, text: str, doc_id: str, state: DialogueState) -> Part:
        """The topic's question asked of another text: searched within it, or a fact about it ("什么时候施行的")."""
        topic = normalize(state.topic)
        query = _DOC_NAME.sub(" ", topic).strip() or topic
        fact = self._doc_fact(topic)
        return Part(
            text=text,
            query=query,
            form=question_form(topic),
            subjects=self.subjects(query),
            focus=self.focus(query),
            follow_up="document",
            doc_fact=(doc_id, fact[1]) if fact else None,
            document=doc_id,
        )

    def _document_asked(self, norm: str) -> str | None:
        """The measures, when a question asks what they say on something ("浙江办法里对奖励怎么说的"): not one naming
        a national text too ("…跟反间谍法是什么关系"), nor one about the measures themselves ("这个办法是干嘛的")."""
        if not _PRIMARY_BY_NAME.search(norm) or _document_named(norm):
            return None
        return self.primary if self._content_tokens(_DOC_NAME.sub(" ", norm)) else None

    def in_context(self, part: Part, state: DialogueState) -> Part:
        """A question that stands on its own words, read instead with the topic ("他们转给我的钱怎么办" after what
        the person did): for one the classifier would refuse alone though it leans on the conversation."""
        return replace(part, query=f"{state.topic} {part.text}", follow_up="context")

    def _tied(self, norm: str, subjects: tuple[str, ...], state: DialogueState) -> bool:
        """Whether a message leans on the conversation: it points back ("他们", "it"), shares a word with the topic
        ("聊天记录要不要删" after a chat was described), speaks of the speaker after they said what they did, or asks
        with no subject of its own after a situation was described ("能卖废品吗" after a found buoy)."""
        if not state.topic:
            return False
        topic = normalize(state.topic)
        if _REFERS_BACK.search(norm) or set(self._content_tokens(norm)) & set(self._content_tokens(topic)):
            return True
        if state.self_involved and _FIRST_PERSON.search(norm):
            return True
        return not subjects and question_form(topic) == "none" and bool(_ELIDED_SUBJECT.match(norm))

    def _follow_up_kind(self, norm: str, subjects: tuple[str, ...]) -> str:
        """What kind of follow-up a question is ('' for one that stands on its own)."""
        short = _is_short(norm)
        content = self._content_tokens(norm)
        if _RETALIATION.search(norm):
            return ""  # "他会不会找我麻烦": asks about protection, whatever came before
        if _THIS_ARTICLE.search(norm) and (short or _SIMPLER.search(norm) or "什么意思" in norm):
            return "this_article"
        if short and _WHICH_ARTICLE.search(norm) and not _LEGAL_BASIS.search(norm):
            return "which_article"
        if short and (_SIMPLER.search(norm) or (_MEANING.search(norm) and not content)):
            return "simpler"  # "什么意思？" alone, not "自首是什么意思", which asks about a word
        if short and _MORE.search(norm):
            return "more"
        if short and _WHY.search(norm) and len(content) <= 1:
            return "why"
        swap = _SUBJECT_SWAP.match(norm)
        if swap and subjects and len(content) <= 1 and self._only_subject(swap.group("who")):
            return "subject"
        if short and _CONSEQUENCE.search(norm) and len(content) <= 2:
            return "consequence"
        if short and _CONFIRM.search(norm) and len(content) <= 1:
            return "confirm"
        if subjects and not _REFERS_BACK.search(norm):
            return ""  # "公民要做什么", "学校会教吗": who it is about anchors the question, whatever came before
        if short and len(_CJK_CHAR.findall(norm)) <= 8 and not self.segmenter.names_a_thing(norm):
            return "context"  # an action without what it is about ("谁来认定", "怎么申请"): the topic's
        if short and (not content or (len(content) == 1 and (_LEADING.search(norm) or _is_terse(norm)))):
            return "context"  # little of its own to go on ("多久能发下来", "那罚款呢", "考核吗"): read with the topic
        if _REFERS_BACK.search(norm) and len(_CJK_CHAR.findall(norm)) <= 30 and not content:
            return "context"  # points back at what was said, and says nothing new itself
        return ""  # says what it is about ("我怕他们报复我"): searched on its own words

    def _only_subject(self, phrase: str) -> bool:
        """The phrase names a subject and little else ("学生", "那外国人", "对于企业来说")."""
        rest = self._subject_pattern.sub("", phrase) if self._subject_pattern else phrase
        return len(re.sub(r"[\W_]|来说|而言|方面|的话|这边|那边|呢|那|呀|啊|吧|s\b", "", rest)) <= 2

    def _content_tokens(self, norm: str) -> list[str]:
        """Tokens that say what a question is about beyond who: known to the corpus, not a subject word, not an
        everyday word ("现在", "简单" say nothing about the topic)."""
        return [
            t for t in self.segmenter.tokens(norm, guess_words=False)
            if t in self.vocabulary and t not in self._subject_tokens and len(t) > 1 and t not in ENGLISH_FUNCTION_WORDS
            and self.segmenter.is_specific(t)
        ]

    def _resolve(self, text: str, norm: str, kind: str, subjects: tuple[str, ...], state: DialogueState, others_than: str = "") -> str:
        """The question in full, for search."""
        topic = state.topic
        if _THREATENED.search(norm):  # in danger now: the protection a reporter can ask for
            return f"{text} 举报人人身安全面临危险 请求保护"
        if _RETALIATION.search(norm) and "报复" not in norm:  # "他会不会找我麻烦": what protects them, however it is put
            return f"{text} 怕被打击报复"
        # "企业要做什么" in the texts' words; not one already in them ("重点单位有哪些义务": the rewrite's 反间谍安全防范
        # would pull it towards 第八条, on every 单位)
        if not kind and subjects and _DUTY.search(norm) and set(self._content_tokens(norm)) <= _DUTY_WORDS and "义务" not in norm:
            word = next((w for w, s in self._subject_words if s.name == subjects[0] and w in norm), subjects[0])
            return f"{word}有哪些反间谍安全防范义务"
        if not kind or not topic:
            return text
        if kind == "subject":  # the topic asked of another subject, as that question would be asked alone
            new_word = next((w for w, s in self._subject_words if s.name == subjects[0] and w in norm), subjects[0])
            topic = normalize(topic)
            old = next((w for w, _ in self._subject_words if w in topic), None) or next(iter(_PRONOUN.findall(topic)), None)
            swapped = topic.replace(old, new_word, 1) if old else f"{new_word} {topic}"
            return self._resolve(swapped, swapped, "", subjects, state)
        if kind == "consequence" and state.self_involved:
            return f"{topic} {text} 主动说明情况 自首 从轻处罚"
        if kind == "consequence":
            # who decides which penalty ("学校不做会怎样" is what a 单位 faces): named in the message, the topic's
            # words are left out; else the topic says what was not done
            # "要是我带了会怎么样": a person speaks of themselves, whoever the topic was about
            who = subjects[0] if subjects else ("公民" if _SPEAKER_ALONE.search(norm) else state.subject)
            liable = self._liable_as.get(who, "")
            # not doing a duty ("不做的话会被罚款吗") is what the liability articles call 不履行…义务; doing something, 违反规定
            breach = "不履行反间谍安全防范义务的法律责任" if _NOT_DOING.search(norm) else "违反规定的法律责任"
            return f"{liable} {text} {breach}" if subjects else f"{topic} {liable}{breach} {text}"
        if kind == "why":
            return f"{topic} 为什么"
        if others_than:  # the topic's question of the others
            others = self._subject_pattern.sub(" ", normalize(topic)).strip() if self._subject_pattern else ""
            return others or topic
        if kind in ("which_article", "simpler", "this_article", "more"):
            return topic
        return f"{topic} {text}"

    def _lookup(self, norm: str, topic: str = "") -> ArticleRef | None:
        """An explicit article asked for by number ("第九条是什么", "反间谍法第四条"), not a number inside a question."""
        match = ARTICLE_REF.search(norm)
        if not match:
            return None
        rest = ARTICLE_REF.sub("", norm)
        before = norm[: match.start()]
        doc_id = (
            (self.primary if _PRIMARY_NAMED.search(before) else _document_named(before))
            or _document_named(norm[match.end() :])
            or _document_named(normalize(topic))
            or self.primary
        )
        for name in sorted({n for _, ns in _DOC_NAMES for n in ns} | {"浙江省反间谍安全防范办法", "本办法", "办法", "《", "》"}, key=len, reverse=True):
            rest = rest.replace(name, "")
        if len(re.sub(r"[\W\s]", "", rest)) > 6 and not _LOOKUP_WORDS.search(norm):
            return None
        number_text = match.group(1) or match.group(3)
        para_text = match.group(2) or match.group(4)
        try:
            number = parse_number(number_text)
            para = parse_number(para_text) if para_text else None
        except ValueError:
            return None
        claim = _CLAIM.search(norm[match.end() :])
        written = f"第{number_text}条" + (f"第{para_text}款" if para_text else "")
        return ArticleRef(doc_id, number, para, written, claim.group("claim") if claim else "")

    def _mentions(self, norm: str) -> tuple[str, str, tuple[str, ...]] | None:
        """"办法里跟学校有关的是哪几条": which articles of a text speak of something (a subject by any of its words)."""
        match = _WHICH_ARTICLES_ON.search(norm)
        if not match:
            return None
        what = _DOC_NAME.sub("", match.group("what") or match.group("what2")).strip("的 ")
        if len(what) < 2:
            return None
        named = next(((w, s) for w, s in self._subject_words if w in what), None)
        if named:  # "和外国人交朋友要注意哪些条款": who, by any of the words for them
            what, words = named[0], tuple(normalize(w) for w in named[1].words if not w.isascii())
        else:
            words = (what,)
        return (_document_named(norm) or self.primary, what, words)

    def _doc_fact(self, norm: str, topic: str = "") -> tuple[str, tuple[str, ...]] | None:
        """Facts about a document itself: who issued it, its order number, article count, status, date in force
        ("when did they take effect and how many articles": two). Judged on the clauses that ask them ("您好，我是记者：
        办法是哪个部门发布的" asks who issued the measures), which must ask nothing else."""
        facts, rest = [], ""
        for fact, pattern in _DOC_FACTS:
            match = pattern.search(norm)
            if match:
                facts.append(fact)
                rest += " " + next(_clauses_at(norm, match.start()))
        if not facts:
            return None
        for _, pattern in _DOC_FACTS:
            rest = pattern.sub("", rest)
        rest = _FACT_WORDS.sub("", rest)
        for name in _ALL_DOC_NAMES:
            rest = rest.replace(name, "")
        rest = _DOC_REFERENCE.sub("", rest)
        if self._content_tokens(rest) or self.subjects(rest):
            return None  # asks about something in the document ("跟学校有关的是哪几条"), not about the document
        if not _DOC_NAME.search(norm) and not topic and len(_CJK_CHAR.findall(_FACT_GLUE.sub("", rest))) >= 4:
            return None  # "竞业限制协议有效吗" asks about something else that may be valid, no text of ours
        doc_id = _document_named(norm) or (None if _PRIMARY_NAMED.search(norm) else _document_named(normalize(topic))) or self.primary
        return doc_id, tuple(facts)

    def _premise(self, norm: str, form: str) -> tuple[Fact, str] | None:
        """A yes/no question that names a fact and a value ("11月1日是全民国家安全教育日吧")."""
        if form != "yesno":
            return None
        name, named = next(((n, f) for n, f in self._fact_names if n in norm), (None, None))
        if named is None:
            return None
        value = next((v for v, _ in self._fact_values if v in norm), None) or _any_value(norm)
        if not value:
            return None
        # only the fact and a value: "12339举报电话是24小时有人接听的吗" asks something else about the hotline
        rest = _PREMISE_GLUE.sub("", norm.replace(value, "").replace(name, ""))
        others = [w for w in re.findall(r"[a-z]{3,}", rest) if w not in ENGLISH_FUNCTION_WORDS]
        return None if len(_CJK_CHAR.findall(rest)) > 2 or others else (named, value)


# the words that join a fact to a value in a yes/no question ("11月1日是全民国家安全教育日吧", "is the hotline 12339")
_PREMISE_GLUE = re.compile(r"是不是|是否|就是|不是|是|吧|吗|嘛|呢|对不对|对吧|对吗|没错|每年|的|号码|电话|那个|这个|\bthe\b|\bis\b|\bit\b|\bthat\b|\bright\b|\bnumber\b|[\W\d]")
_DATE_OR_NUMBER = re.compile(r"\d{1,2}月\d{1,2}[日号]|[一二三四五六七八九十]{1,3}月[一二三四五六七八九十]{1,3}[日号]|\d{4}年\d{1,2}月\d{1,2}[日号]|\d{3,}")


def _carry(state: DialogueState, part: Part) -> DialogueState:
    """The state after a question: it becomes the topic, unless it asks about what was shown ("这条") or only adds
    to the topic ("多久能发下来", "罚多少", "为什么", read with it): topics glued onto topics drift from what was asked."""
    if part.follow_up in ("which_article", "simpler", "this_article", "more", "context", "consequence", "why", "confirm", "document"):
        return state
    return replace(state, topic=part.query, subject=part.subjects[0] if part.subjects else state.subject)


def _confesses(norm: str) -> bool:
    """Says what they themselves did, and what it involved, other than telling the authorities."""
    return bool(_SELF_DID.search(norm) and _INVOLVING.search(norm) and not _TO_AUTHORITIES.search(norm))


def _is_short(norm: str) -> bool:
    """A short message (at most 14 Chinese characters and 8 other words): short ones lean on the conversation."""
    return len(_CJK_CHAR.findall(norm)) <= 14 and len(re.findall(r"[a-z0-9]+", norm)) <= 8


def _is_terse(norm: str) -> bool:
    """A word or two in Chinese and a question mark ("考核吗"): in a conversation, about its topic. Not one naming a
    number ("打12339要钱吗" stands alone)."""
    return 0 < len(_CJK_CHAR.findall(norm)) <= 4 and not re.search(r"\d", norm)


def _document_named(text: str) -> str | None:
    """The national document a text names, the one named last (nearest to what follows) first."""
    found = [(text.rfind(n), d) for d, names in _DOC_NAMES for n in names if n in text]
    return max(found)[1] if found else None


def _clauses_at(text: str, position: int):
    """The clause (between commas, colons, full stops) containing a position."""
    start = 0
    for piece in re.split(r"([，,：:；;。！!？?])", text):
        if start <= position < start + len(piece):
            yield piece
        start += len(piece)
    yield text


def _any_value(norm: str) -> str | None:
    """A date or number written in the question (for "举报电话是110吗": a value no fact has)."""
    match = _DATE_OR_NUMBER.search(norm)
    return match.group(0) if match else None


def _alternation(words: list[str]) -> re.Pattern | None:
    """One regex matching any of the words, longest first; English words only as whole words."""
    if not words:
        return None
    alts = [rf"(?<![a-z]){re.escape(w)}(?![a-z])" if w.isascii() else re.escape(w) for w in words]
    return re.compile("|".join(alts))


_SENTENCE_END = re.compile(r"(?<=[？?；;])\s*|(?<=[。！!])\s*(?=\S)")
_CLAUSE = re.compile(r"[，,]\s*|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")


def split_questions(text: str) -> list[str]:
    """The questions of a message: "怎么举报？有奖励吗？" is two. A sentence that asks nothing ("我在军工厂上班。") is
    context and joins the question after it; past MAX_PARTS, the rest joins the last."""
    pieces = [p.strip() for p in _SENTENCE_END.split(text) if p and p.strip()]
    expanded: list[str] = []
    for piece in pieces:  # "怎么举报，有奖励吗": two questions joined by a comma, each asking on its own
        clauses = [c for c in _CLAUSE.split(piece) if c.strip()]
        if len(clauses) > 1 and all(question_form(c) != "none" and len(re.sub(r"\W", "", c)) >= 3 for c in clauses):
            expanded.extend(clauses)
        else:
            expanded.append(piece)
    parts: list[str] = []
    pending = ""
    for piece in expanded:
        if question_form(piece) == "none" and not piece.endswith(("?", "？")):
            pending = f"{pending}{piece}" if not pending else f"{pending} {piece}"
            continue
        parts.append(f"{pending} {piece}".strip() if pending else piece)
        pending = ""
    if pending:
        if parts:
            parts[-1] = f"{parts[-1]} {pending}"
        else:
            parts.append(pending)
    if len(parts) > MAX_PARTS:
        parts = parts[: MAX_PARTS - 1] + [" ".join(parts[MAX_PARTS - 1 :])]
    return parts or [text]


__all__ = ["ArticleRef", "Citation", "OPEN_FORMS", "Part", "Subject", "Understander", "Understanding", "clean", "language", "question_form", "split_questions"]
