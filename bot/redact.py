"""Privacy: what the opt-in log of unanswered questions may keep of a question (never who asked, nor how to reach them)."""

from __future__ import annotations

import re
from collections.abc import Iterable

_CJK = "\u4e00-\u9fff"
# Order matters: longer, more specific shapes first (an ID number before a run of digits, a phone before a number).
_PATTERNS = (
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+"), "[邮箱]"),
    (re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"), "[身份证号]"),
    # mobile numbers, also written +86 138 0000 1111 or 138-0000-1111
    (re.compile(r"(?<![\d+])(?:\+?\s?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}(?!\d)"), "[电话]"),
    (re.compile(r"(?<!\d)(?:\(0\d{2,3}\)|0\d{2,3})[-\s]?\d{7,8}(?!\d)"), "[电话]"),
    (re.compile(r"(?i)(微信号?|qq号?|wechat|weixin)\s*[:：是为]?\s*[A-Za-z0-9_-]{5,}"), r"\1[账号]"),
    # a street address: road and number, with building, unit and room when given (文三路123号3单元502室)
    (re.compile(rf"[{_CJK}]{{1,6}}(?:路|街|大道|巷|弄|胡同)\s*\d+\s*号(?:\s*\d+\s*(?:号楼|栋|幢|单元|层|楼|室))*"), "[地址]"),
    (re.compile(rf"[{_CJK}]{{2,8}}(?:小区|花园|公寓|新村|大厦)\s*(?:\d+\s*(?:号楼|栋|幢|单元|层|楼|室)\s*)+"), "[地址]"),
    (re.compile(r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-Z][·\s]?[A-Z0-9]{5,6}(?![A-Za-z0-9])"), "[车牌]"),
    (re.compile(r"(?<!\d)\d{6,}(?!\d)"), "[数字]"),
    # names after a word that introduces one, for names the tagger does not know
    (re.compile(rf"(我叫|我是|名叫|叫做|姓名[:：]?|名字是|他叫|她叫|同事|邻居|同学|朋友|室友|老板|领导|亲戚)\s*[{_CJK}]{{2,3}}"), r"\1[姓名]"),
    (re.compile(r"(?i)(my name is|i am|i'm)\s+[A-Z][a-z]+(\s+[A-Z][a-z]+)?"), r"\1 [name]"),
)


def redact(text: str, names: Iterable[str] = ()) -> str:
    """The question without e-mail addresses, ID and phone numbers, account ids, street addresses, licence plates,
    long numbers and people's names: `names` (found by the segmenter's tagger) and names after 我叫/同事/… ."""
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    for name in sorted({n for n in names if len(n) >= 2}, key=len, reverse=True):  # after the patterns: 阳光小区 is an address
        text = text.replace(name, "[姓名]")
    return text
