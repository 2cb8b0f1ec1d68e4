"""The document rules: what a downloaded attachment's own facts say about it.

SPEC rule table rows `attachment.metadata-missing`, `attachment.no-text`,
`attachment.untagged-pdf`, `attachment.invalid`, and "Site-level and attachment
findings are judged once per run; an attachment finding is reported on every
page that links to the document, like a broken link".  Pure: the facts come
from `crawler/documents.py` (a `DocumentFacts`, or its documents.jsonl row as a
mapping — either works, so checks/ needs nothing from crawler/).

Judged once per document, reported on each linking page (url, section and
unit of that page), one finding per rule per page:

* status `invalid` → `attachment.invalid` only (nothing else about it is known);
* status `ok` (or `cached` carrying a reading) → `attachment.metadata-missing`
  when `required_metadata` fields are empty; for PDFs `attachment.no-text`
  when `has_text` is False (None = not determined: no finding) and
  `attachment.untagged-pdf` when `tagged` is False;
* `encrypted`, `too-large`, `unreadable`, `failed` → no finding: the
  document's contents are unknown.  Their notices stay in documents.jsonl
  and the report's document list (SPEC: "a notice, not a crash"); a failed
  download is the links check's `link.*` finding.

`required_metadata` names (SPEC `[attachments] required_metadata`) map to the
facts the reader filled per format (see crawler/documents.py):
`title`/`標題`, `subject`/`主旨`, `creator`/`author`/`作者`; any other name is
looked up among the classification codes (`Category.Theme` …, also `主題`)
and then the document's own properties, case-insensitively.

Each finding's detail also carries `kind` (pdf, odf, ooxml, ole): the how-to
fix differs between LibreOffice, Word and a PDF.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from checks.model import Finding, Rule, Severity
from checks.urls import display_url

CHECK = "attachments"

_PROPS_FIX = {
    "odf": "在 LibreOffice 開啟文件，點選「檔案 > 內容 > 描述」，填寫「標題」與「主旨」；"
           "作者取自「工具 > 選項 > LibreOffice > 使用者資料」的姓名，請填入承辦單位或機關名稱後重新儲存；"
           "分類代碼（主題、施政、服務）可在「檔案 > 內容 > 自訂內容」新增 Category.Theme、"
           "Category.Cake、Category.Service 欄位。存檔後重新上傳。",
    "ooxml": "在 Word、Excel 或 PowerPoint 開啟文件，點選「檔案 > 資訊 > 內容 > 進階內容 > 摘要」，"
             "填寫「標題」、「主旨」與「作者」（機關或承辦單位名稱）；分類代碼可在「自訂」分頁新增 "
             "Category.Theme、Category.Cake、Category.Service。存檔後重新上傳，並一併提供 ODF 版本。",
    "ole": "在 Word、Excel 或 PowerPoint 開啟文件，點選「檔案 > 資訊 > 內容 > 進階內容 > 摘要」，"
           "填寫「標題」、「主旨」與「作者」；建議另存為 ODF（.odt、.ods、.odp）或新版格式後重新上傳。",
    "pdf": "請在原始檔（LibreOffice、Word）先填好文件內容（標題、主旨、作者），再匯出 PDF："
           "LibreOffice「檔案 > 匯出為 PDF」、Word「另存新檔 > PDF」都會帶入這些欄位；"
           "或以 Adobe Acrobat 開啟 PDF，點選「檔案 > 內容 > 描述」填寫「標題」、「主旨」、「作者」後儲存。"
           "分類代碼可在 Acrobat「內容 > 自訂」新增 Category.Theme、Category.Cake、Category.Service。",
}

RULES: tuple[Rule, ...] = (
    Rule(
        "attachment.metadata-missing", CHECK, Severity.warning, "附件缺少文件摘要資訊",
        "請在文件本身的內容（屬性）填寫標題、主旨與作者（機關或承辦單位）後重新上傳："
        "LibreOffice「檔案 > 內容」；Word「檔案 > 資訊 > 內容」；PDF 以 Acrobat「檔案 > 內容」。",
        detail=("target", "fields", "kind"), fix_key="kind", fixes=_PROPS_FIX,
    ),
    Rule(
        "attachment.no-text", CHECK, Severity.warning, "附件 PDF 沒有文字層（掃描影像）",
        "這份 PDF 只有影像，無法搜尋、複製，報讀軟體也讀不出內容。最好改用原始電子檔"
        "（LibreOffice「檔案 > 匯出為 PDF」或 Word「另存新檔 > PDF」）重新產生 PDF；"
        "只有紙本時，請以 OCR 文字辨識加上文字層（例如 Adobe Acrobat「掃描和 OCR > 辨識文字」，"
        "或 OCRmyPDF 等工具，語言選繁體中文），檢查辨識結果後重新上傳。",
        detail=("target", "kind"),
    ),
    Rule(
        "attachment.untagged-pdf", CHECK, Severity.notice, "附件 PDF 未加標籤（無文件結構）",
        "這份 PDF 沒有結構樹（標籤），報讀軟體無法得知標題、段落、表格與閱讀順序。請從原始檔重新匯出具標籤的 PDF："
        "LibreOffice「檔案 > 匯出為 PDF > 一般」勾選「具標籤的 PDF（加入文件結構）」；"
        "Word「另存新檔 > PDF > 選項」勾選「協助工具的文件結構標籤」；"
        "或以 Adobe Acrobat Pro「輔助工具 > 自動標記文件」加上標籤並檢查閱讀順序。",
        detail=("target", "kind"),
    ),
    Rule(
        "attachment.invalid", CHECK, Severity.error, "附件檔案內容與格式不符",
        "民眾下載到的不是可開啟的文件。請確認連結指向檔案本身（不是錯誤頁、登入頁或轉址頁），"
        "並以原始程式重新存檔後上傳：ODF 請用 LibreOffice「檔案 > 另存新檔」選擇 .odt、.ods、.odp，"
        "不要只改副檔名；PDF 請重新匯出，確認上傳完整（檔案大小與原檔相同）；"
        "上傳後自行下載一次並以對應程式開啟確認。",
        detail=("target", "reason", "kind"),
    ),
)
_RULE = {r.id: r for r in RULES}

_FIELD_LABEL = {"title": "標題", "subject": "主旨", "creator": "作者"}
_FIELD_ALIASES = {
    "title": "title", "標題": "title", "dc.title": "title", "dc:title": "title",
    "subject": "subject", "主旨": "subject", "dc.subject": "subject", "dc:subject": "subject",
    "creator": "creator", "author": "creator", "作者": "creator", "dc.creator": "creator", "dc:creator": "creator",
}
_CLASS_ALIASES = {"主題": "category.theme", "施政": "category.cake", "服務": "category.service"}
_SQUEEZE = re.compile(r"[\s._:\-/／]+")


def _get(facts: Any, key: str, default: Any = None) -> Any:
    if isinstance(facts, Mapping):
        return facts.get(key, default)
    return getattr(facts, key, default)


def _present(value: Any) -> bool:
    return value is not None and bool(str(value).strip())


def _field_value(facts: Any, name: str) -> Any:
    """The value of one `required_metadata` name in the document's own properties."""
    canon = _FIELD_ALIASES.get(name.strip().lower())
    if canon:
        return _get(facts, canon, "")
    wanted = _SQUEEZE.sub("", _CLASS_ALIASES.get(name.strip(), name)).lower()
    for source in ("classification", "properties"):
        values = _get(facts, source) or {}
        for key, value in values.items():
            squeezed = _SQUEEZE.sub("", str(key)).lower()
            if squeezed == wanted or squeezed.rsplit(":", 1)[-1] == wanted:
                return value
    return ""


def missing_fields(facts: Any, required_metadata: Iterable[str]) -> list[str]:
    """The `required_metadata` names that are absent or empty, in the configured order."""
    return [name for name in dict.fromkeys(required_metadata) if not _present(_field_value(facts, name))]


def _label(name: str) -> str:
    return _FIELD_LABEL.get(_FIELD_ALIASES.get(name.strip().lower(), ""), name)


def _judgements(facts: Any, required_metadata: Iterable[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """(rule, message, detail) for one document, judged once."""
    target = str(_get(facts, "url", ""))
    kind = str(_get(facts, "kind", "") or "other")
    status = str(_get(facts, "status", ""))
    name = display_url(target)
    out: list[tuple[str, str, dict[str, Any]]] = []
    reason = str(_get(facts, "invalid_reason", "") or "")
    if status == "invalid" or (status == "cached" and reason):
        reason = reason or next(iter(_get(facts, "notices") or ()), "") or "檔案內容與副檔名不符"
        out.append(("attachment.invalid", f"附件檔案內容與格式不符：{name}（{reason}）",
                    {"target": target, "reason": reason, "kind": kind}))
        return out
    if status not in ("ok", "cached"):
        return out
    fields = missing_fields(facts, required_metadata)
    if fields:
        labels = "、".join(_label(f) for f in fields)
        out.append(("attachment.metadata-missing", f"附件缺少文件摘要資訊（{labels}）：{name}",
                    {"target": target, "fields": fields, "kind": kind}))
    if kind == "pdf":
        if _get(facts, "has_text") is False:
            out.append(("attachment.no-text", f"附件 PDF 沒有文字層（掃描影像），無法搜尋也無法報讀：{name}",
                        {"target": target, "kind": kind}))
        if _get(facts, "tagged") is False:
            out.append(("attachment.untagged-pdf", f"附件 PDF 未加標籤，報讀軟體無法得知文件結構與閱讀順序：{name}",
                        {"target": target, "kind": kind}))
    return out


def document_findings(facts: Any, linking_pages: Iterable[tuple[str, str, str]],
                      required_metadata: tuple[str, ...] = ("title", "subject", "creator")) -> list[Finding]:
    """The findings of one document, on every page linking to it (url, section, unit).

    A page listed twice gets its findings once."""
    judged = _judgements(facts, required_metadata)
    if not judged:
        return []
    findings: list[Finding] = []
    seen: set[str] = set()
    for page_url, section, unit in linking_pages:
        if page_url in seen:
            continue
        seen.add(page_url)
        for rule_id, message, detail in judged:
            findings.append(Finding(url=page_url, check=CHECK, rule=rule_id, severity=_RULE[rule_id].severity,
                                    message=message, section=section, unit=unit, detail=dict(detail)))
    return findings
