"""CJK font lookup. Families are named by their look on paper, not by file."""
from __future__ import annotations

from functools import lru_cache

from PIL import ImageFont

_NOTO = "/usr/share/fonts/opentype/noto/"
FONT_FILES = {
    "song": (_NOTO + "NotoSerifCJK-Regular.ttc", 2),
    "song_bold": (_NOTO + "NotoSerifCJK-Bold.ttc", 2),
    "hei": (_NOTO + "NotoSansCJK-Regular.ttc", 2),
    "hei_bold": (_NOTO + "NotoSansCJK-Bold.ttc", 2),
    "mono": (_NOTO + "NotoSansCJK-Regular.ttc", 7),
    "kai": ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0),
    "ming": ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    "wqy": ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
}
# Body-text choices per document family: offices print in 宋体/仿宋-like faces, some in 楷体.
BODY_FONTS = ("song", "ming", "song", "kai")


@lru_cache(maxsize=256)
def font(family: str, size_px: int) -> ImageFont.FreeTypeFont:
    path, index = FONT_FILES[family]
    return ImageFont.truetype(path, max(4, int(size_px)), index=index)
