"""Chinese numerals as used in article labels (第二十三条 ↔ 23), both ways."""

from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_CHARS = "".join(_DIGITS) + "".join(_UNITS)
NUMERAL = f"[{_CHARS}]+"
_NUMERAL_RE = re.compile(f"^{NUMERAL}$")


def cn_to_int(text: str) -> int:
    """Parse a Chinese numeral such as 二十三, 十九 or 一百零一; raise ValueError otherwise."""
    if not text or not _NUMERAL_RE.match(text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    total, digit = 0, None
    for ch in text:
        if ch in _DIGITS:
            if digit is not None and _DIGITS[ch] != 0:
                raise ValueError(f"not a Chinese numeral: {text!r}")
            digit = _DIGITS[ch] if _DIGITS[ch] else None
        else:
            unit = _UNITS[ch]
            total += (1 if digit is None else digit) * unit
            digit = None
    return total + (digit or 0)


def int_to_cn(n: int) -> str:
    """Write 1 ≤ n ≤ 9999 as a Chinese numeral the way laws do (十九, 二十三, 一百零一)."""
    if not 1 <= n <= 9999:
        raise ValueError(f"out of range: {n}")
    names = "零一二三四五六七八九"
    out, zero_pending = [], False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d, n = divmod(n, unit)
        if d:
            if zero_pending:
                out.append("零")
            zero_pending = False
            out.append(names[d] + name)
        elif out:
            zero_pending = True
        if not n:
            break
    text = "".join(out)
    return text[1:] if text.startswith("一十") else text


def parse_number(text: str) -> int:
    """Parse an Arabic or Chinese numeral (19, 十九, １９)."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    return cn_to_int(text)


def article_label(n: int) -> str:
    """第十九条."""
    return f"第{int_to_cn(n)}条"


def paragraph_label(n: int) -> str:
    """第二款."""
    return f"第{int_to_cn(n)}款"


def item_label(n: int) -> str:
    """第（三）项."""
    return f"第（{int_to_cn(n)}）项"
