"""Links: which link targets of a page are broken, and which hrefs are no URL.

SPEC "Output files / Finding" rows `link.broken`, `link.unreachable`,
`link.anchor-missing` and `link.malformed`.  The page's links are a fact of
the page (`checks.page.Page.links`, the same list the spider follows, so the
crawl and the check agree); the network outcome of each target arrives as a
`LinkResult` in `ctx.link_results`; this module only judges.  A broken
target is reported once per page linking to it; a malformed href once per
page per href as written.
"""
from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote

from checks.model import CheckContext, FailureStatus, Finding, LinkOutcome, Rule, Severity
from checks.page import Page

CHECK = "links"

RULES = (
    Rule("link.broken", CHECK, Severity.error, "失效連結",
         "修正或移除連結：目標已不存在（4xx）、主機不存在、拒絕連線、憑證錯誤或重新導向迴圈。"
         "若檔案已搬移，請改連到新位置。",
         detail=("target", "status", "element"), fix_key="status",
         fixes={
             "4xx": "目標網頁或檔案已不存在：若已搬移，請改連到新網址；已下架的資料請移除連結或改連到說明頁。",
             "404": "目標網頁或檔案不存在（404）：請確認檔名與路徑（含大小寫），已搬移者改連到新網址，已下架者移除連結。",
             "403": "目標伺服器拒絕存取（403）：請確認該頁是否需要登入或已限制存取；公開資料請改連到可公開瀏覽的網址。",
             "dns": "找不到這個主機名稱：網域可能已停用或拼錯，請確認網址，或改連到對方的新網站。",
             "refused": "對方主機拒絕連線：服務可能已停止或搬移，請與對方確認網址。",
             "tls": "對方網站的 HTTPS 憑證有誤（過期、名稱不符或不受信任）：請通知對方更新憑證，必要時暫時移除連結。",
             "redirect-loop": "網址不斷轉址回到自己（重新導向迴圈）：請改連到最終的正確網址，並檢查伺服器的轉址設定。",
             "too-many-redirects": "轉址次數過多：請直接連到最終網址，並檢查轉址設定。",
             "error": "連線時發生錯誤：請確認網址是否正確、對方網站是否正常。",
         }),
    Rule("link.unreachable", CHECK, Severity.warning, "連結暫時無法連線",
         "目標伺服器回應 5xx、429 或逾時（已重試）。可能是暫時性問題：請稍後再確認，若持續發生請改連結或聯絡對方網站。",
         detail=("target", "status"), fix_key="status",
         fixes={
             "5xx": "對方伺服器發生錯誤（5xx），可能是暫時性問題：請過幾天再確認，持續發生時請聯絡對方網站。",
             "429": "對方伺服器限制了連線次數（429）：多半是暫時性的，請稍後再確認。",
             "timeout": "連線逾時（已重試）：對方網站可能暫時過慢或已停止服務，請稍後再確認。",
             "blocked": "目標位於內部網路或雲端中繼資料位址，檢視工具不會連線：公開網頁不應連到內部位址，請改用公開網址。",
         }),
    Rule("link.anchor-missing", CHECK, Severity.warning, "錨點不存在",
         "連結指向頁面中的 #錨點，但目標頁沒有該 id 或 name 的元素：請修正錨點名稱或在目標頁加上 id。",
         detail=("target",)),
    Rule("link.malformed", CHECK, Severity.error, "網址格式錯誤",
         "這個連結不是可以開啟的網址：請修正拼錯的協定（如 javscript:、htttp:）、主機名稱或連接埠；"
         "不需要連結的項目請移除 href，以按鈕或 href=\"#\" 搭配程式處理；file: 與 ftp: 連結請改為網站上的 https 網址。",
         detail=("target", "reason")),
)

_STATUS_ZH = {
    "dns": "找不到主機（DNS）",
    "refused": "連線被拒",
    "timeout": "連線逾時",
    "tls": "TLS／SSL 憑證錯誤",
    "redirect-loop": "重新導向迴圈",
    "too-many-redirects": "重新導向次數過多",
    "error": "連線錯誤",
    "blocked": "位於內部網路或雲端中繼資料位址，依安全設定不連線",
    "skipped": "未檢查",
}


def describe_status(status: int | str) -> str:
    if isinstance(status, int):
        return f"HTTP {status}"
    return _STATUS_ZH.get(str(status), str(status))


# Fragments a browser always resolves without an element (HTML "top" rule)
# and script-routing fragments: not anchors to judge.
def _judgeable_fragment(fragment: str) -> bool:
    return bool(fragment) and fragment.lower() != "top" and not fragment.startswith(("!", "/", ":~:"))


def _place(line: int, text: str) -> dict[str, object]:
    """Evidence a person uses to find the link: its source line and text."""
    out: dict[str, object] = {}
    if line:
        out["line"] = line
    if text:
        out["link_text"] = text  # not "text": that key identifies citation findings
    return out


def check(page: Page, ctx: CheckContext) -> Iterator[Finding]:
    for bad in page.malformed_links:
        yield page.finding(CHECK, "link.malformed", Severity.error,
                           f"網址格式錯誤：{bad.raw}（{bad.reason}）",
                           target=bad.raw, reason=bad.reason, element=bad.element, **_place(bad.line, bad.text))
    reported: set[str] = set()
    own_url = page.url.split("#", 1)[0]
    for link in page.links:
        if link.url == own_url and link.fragment:
            # same-page anchor: judged from the page itself
            result_anchors: frozenset[str] | None = page.anchors
            result = None
        else:
            result = ctx.link_results.get(link.url)
            if result is None:
                continue
            result_anchors = result.anchors
            if result.outcome in (LinkOutcome.broken, LinkOutcome.unreachable):
                if link.url in reported:
                    continue
                reported.add(link.url)
                status = result.status if isinstance(result.status, int) else str(result.status)
                detail = {"target": link.url, "status": status, "element": link.element,
                          **_place(link.line, link.text)}
                if result.redirects:
                    detail["redirects"] = list(result.redirects)
                if result.error:
                    detail["error"] = result.error
                shown = ctx.name_of(link.url)
                if result.outcome is LinkOutcome.broken:
                    yield page.finding(CHECK, "link.broken", Severity.error,
                                       f"失效連結：{shown}（{describe_status(result.status)}）", **detail)
                elif result.status == FailureStatus.blocked:
                    yield page.finding(CHECK, "link.unreachable", Severity.warning,
                                       f"連結未檢查：{shown}（{describe_status(result.status)}）", **detail)
                else:
                    yield page.finding(CHECK, "link.unreachable", Severity.warning,
                                       f"連結暫時無法連線：{shown}（{describe_status(result.status)}，已重試）",
                                       **detail)
                continue
            if result.outcome is not LinkOutcome.ok:
                continue
        if not _judgeable_fragment(link.fragment) or result_anchors is None:
            continue
        if link.target in reported:
            continue
        frag = unquote(link.fragment)
        if frag in result_anchors or link.fragment in result_anchors:
            continue
        reported.add(link.target)
        yield page.finding(CHECK, "link.anchor-missing", Severity.warning,
                           f"錨點不存在：{ctx.name_of(link.target)}（目標頁沒有 id 或 name 為「{frag}」的元素）",
                           target=link.target, element=link.element, **_place(link.line, link.text))
