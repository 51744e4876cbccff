"""Traditional -> simplified Chinese for OCR output of mainland documents (OpenCC).

The one converter of the product: the page view (layout.py), normalizers and validation's
comparisons (intake/validation/confusions.py) all call `to_simplified`.

The recognizer sometimes emits the traditional form of a simplified character it
was shown (許昌 for 许昌, 發票號碼 for 发票号码). Every document this bureau takes
is printed in simplified Chinese, so such characters are mapped back with
OpenCC's ``t2s`` dictionaries (phrases first, so context picks the right form).

Two rules keep the conversion from inventing changes:
- only CJK ideographs change; digits, Latin letters and punctuation never do,
  and the text keeps its length (one character in, one out), so the character
  boxes of a page view stay aligned with their characters;
- a character that the simplified set (GB 2312) itself contains is left as
  read: 於 (a surname), 乾 (乾坤), 吒 are valid simplified print, and changing
  them would alter a correct reading. GB 2312 also carries a few old variant
  forms that modern mainland print never uses (後 for 后, 夥 for 伙 …); those
  are converted like any traditional character.
"""
from __future__ import annotations

from functools import lru_cache

try:  # the dictionaries ship inside the wheel: nothing is downloaded at run time
    import opencc

    _CONVERTER = opencc.OpenCC("t2s")
except Exception:  # pragma: no cover - opencc is a declared dependency; without it (or its data) text stays as read
    _CONVERTER = None


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or 0x20000 <= o <= 0x2FA1F


# In GB 2312 but not used by today's standard print (通用规范汉字表 has the other form).
_GB2312_VARIANTS = frozenset("後夥摺醣麴榘袷薹菸")


@lru_cache(maxsize=65536)
def _convertible(ch: str) -> bool:
    """A CJK character outside the simplified set: a candidate for conversion."""
    if not _is_cjk(ch):
        return False
    if ch in _GB2312_VARIANTS:
        return True
    try:
        ch.encode("gb2312")
        return False
    except UnicodeEncodeError:
        return True


@lru_cache(maxsize=65536)
def _char_t2s(ch: str) -> str:
    out = _CONVERTER.convert(ch) if _CONVERTER is not None else ch
    return out if len(out) == 1 else ch


@lru_cache(maxsize=8192)
def to_simplified(text: str) -> str:
    """``text`` with traditional characters replaced by their simplified form, same length."""
    if not text or _CONVERTER is None or not any(_convertible(c) for c in text):
        return text
    whole = _CONVERTER.convert(text)
    if len(whole) == len(text):
        pairs = zip(text, whole)
        return "".join(new if (new != old and _convertible(old)) else old for old, new in pairs)
    # a phrase changed length (rare): fall back to one character at a time
    return "".join(_char_t2s(c) if _convertible(c) else c for c in text)


def changes(before: str, after: str) -> tuple[str, ...]:
    """What a conversion changed, for the explain output: ``('許→许', '範→范')``."""
    if before == after or len(before) != len(after):
        return () if before == after else (f"{before}→{after}",)
    seen: list[str] = []
    for a, b in zip(before, after):
        if a != b and f"{a}→{b}" not in seen:
            seen.append(f"{a}→{b}")
    return tuple(seen)
