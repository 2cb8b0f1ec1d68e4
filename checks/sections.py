"""Which section (目錄) and responsible unit (負責單位) a page belongs to.

SPEC "Configuration / [[sections]]": the 網頁資料維護及更新權責劃分表 maps URL
path prefixes to units; the longest matching prefix wins.  A page matching
no prefix belongs to the section named by the first segment of its URL path
(`/` for the home page and other files at the root), unit 未指定.
"""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

UNASSIGNED_UNIT = "未指定"
HOME_SECTION_NAME = "首頁"


@dataclass(frozen=True)
class Section:
    path: str  # "/news/"
    name: str  # "最新消息"
    unit: str  # "秘書室"


def section_for(url: str, sections: tuple[Section, ...] | list[Section]) -> Section:
    path = unquote(urlsplit(url).path or "/")
    best: Section | None = None
    for s in sections:
        matches = path.startswith(s.path) or (s.path.endswith("/") and path == s.path[:-1])
        if matches and (best is None or len(s.path) > len(best.path)):
            best = s
    if best is not None:
        return best
    segments = [seg for seg in path.split("/") if seg]
    # A single segment that is the page itself (/about.html) lives at the root.
    if len(segments) <= 1 and not path.endswith("/"):
        return Section("/", HOME_SECTION_NAME, UNASSIGNED_UNIT)
    if not segments:
        return Section("/", HOME_SECTION_NAME, UNASSIGNED_UNIT)
    first = segments[0]
    return Section(f"/{first}/", first, UNASSIGNED_UNIT)
