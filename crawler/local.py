"""Local pages for `siteaudit check`: which files, their text, and the site they live in.

SPEC "Command line / check".  Targets are URLs, local HTML files, or
directories of them (walked for their .html/.htm/.xhtml files; hidden
directories such as .git are skipped).  Local pages are judged as the site
will serve them, so their links resolve against the site's **document root**:

* `--root DIR`, else the outermost ancestor of the targets holding an
  `index.html`/`index.htm`, never above the git work tree (a `.git` entry
  marks it), else the targets' common directory.  SPEC says "nearest"; the
  outermost is what keeps a single changed `public/news/2026/a.html` right
  when sections have their own `index.html` too (`public/news/index.html`):
  the nearest would take `public/news/` for the root and report every `/x`
  link broken — the very false alarm of issue 9.
* `/x` is ROOT/x; `../x` climbs at most to the root (as a server does).

`LocalSite` is the mapping between the root and a web origin: with
`--base-url` the live site's URL, else a reserved stand-in origin
(`.invalid`, RFC 2606) that only serves to resolve links the way a browser
does.  Nobody reads a stand-in URL: every URL under the origin has a *name*,
its file's path relative to the working directory, and findings are built
with those names from the start (`CheckContext.names`).
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import posixpath
import stat
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from charset_normalizer import from_bytes
from w3lib.encoding import html_to_unicode

from crawler.errors import UsageError

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
INDEX_FILES = ("index.html", "index.htm")
# What a web server answers for a directory URL (/news/): IIS adds default.htm.
DIRECTORY_INDEXES = ("index.html", "index.htm", "default.htm", "default.html")
# The crawl's page size cap (crawler.settings.DOWNLOAD_MAXSIZE): a local page
# bigger than the crawl would ever read is a mistake, not a page.
MAX_PAGE_BYTES = 32 * 1024 * 1024
# Stand-in origin for local pages without --base-url (module docstring).
STAND_IN_ORIGIN = "http://siteaudit-local.invalid/"


def is_web_url(target: str) -> bool:
    """A target that is meant as a URL (http:, https:, or any other scheme://)."""
    return "://" in target and not Path(target).exists()


def check_web_url(value: str, what: str) -> str:
    """`value` if it is a usable http(s) URL, else UsageError naming `what`.

    Catches what urlsplit only notices on access: `http://[::1` (unclosed
    IPv6 bracket), `http://h:80x/`, ports above 65535."""
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        raise UsageError(f"{what}：網址的主機或連接埠無法解析：{value}") from None
    if parts.scheme not in ("http", "https"):
        raise UsageError(f"{what}：應為 http:// 或 https:// 網址：{value}")
    if not parts.hostname or not port_ok:
        raise UsageError(f"{what}：網址沒有可用的主機名稱：{value}")
    return value


# ---- decoding ---------------------------------------------------------------

def decode_html(raw: bytes) -> str:
    """Bytes of a local page to text: BOM or <meta charset> first (as a
    browser does), else a charset guess — Big5 files exist without a tag."""
    encoding, text = html_to_unicode(None, raw, auto_detect_fun=lambda b: None)
    if "\ufffd" in text and encoding in ("utf-8", "cp1252"):
        best = from_bytes(raw).best()
        if best is not None:
            return str(best)
    return text


def read_page(path: Path, name: str) -> str:
    """The decoded text of one target file, or UsageError naming it."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_PAGE_BYTES + 1)
    except OSError as e:
        raise UsageError(f"無法讀取檢查目標 {name}（{os_reason(e)}）") from None
    if len(raw) > MAX_PAGE_BYTES:
        raise UsageError(f"檢查目標 {name} 超過 {MAX_PAGE_BYTES // (1024 * 1024)} MB，不像是網頁")
    return decode_html(raw)


def os_reason(e: OSError) -> str:
    """Why the system refused, in Chinese (strerror is English)."""
    import errno

    return {errno.EACCES: "權限不足", errno.EPERM: "權限不足", errno.ENOENT: "檔案不存在",
            errno.EISDIR: "是目錄", errno.ENOTDIR: "路徑中有一段不是目錄", errno.ELOOP: "符號連結迴圈",
            errno.ENOSPC: "磁碟空間不足", errno.EDQUOT: "超過磁碟配額", errno.EROFS: "檔案系統為唯讀",
            errno.EFBIG: "檔案過大", errno.ENAMETOOLONG: "檔名過長"}.get(e.errno or 0, "系統拒絕存取")


# ---- targets ----------------------------------------------------------------

@dataclass(frozen=True)
class Targets:
    """What one `check` run audits: local files (absolute) and URLs, in the
    order given, each once."""

    files: tuple[Path, ...]
    urls: tuple[str, ...]


def _abspath(p: str | Path, cwd: Path) -> Path:
    # Lexical, not resolve(): names stay what the person typed, and a
    # symlinked folder inside the root stays inside it (as a server serves it).
    return Path(os.path.normpath(cwd / p))


def _html_files(directory: Path, shown: str) -> list[Path]:
    def fail(e: OSError) -> None:
        raise UsageError(f"無法讀取目錄 {shown}（{os_reason(e)}）")

    out: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(directory, onerror=fail):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "node_modules")
        out.extend(Path(dirpath) / f for f in sorted(filenames) if f.lower().endswith(HTML_SUFFIXES))
    return out


def collect_targets(raw: Sequence[str], cwd: Path) -> Targets:
    """Split and check the TARGET arguments.  UsageError for anything that is
    neither a readable local file or directory nor an http(s) URL."""
    files: dict[Path, None] = {}
    urls: dict[str, None] = {}
    for target in raw:
        if is_web_url(target):
            urls[check_web_url(target, "檢查目標")] = None
            continue
        path = _abspath(target, cwd)
        try:
            st = path.stat()
        except FileNotFoundError:
            raise UsageError(f"找不到檢查目標：{target}（應為網址、.html 檔或目錄）") from None
        except OSError as e:
            raise UsageError(f"無法讀取檢查目標 {target}（{os_reason(e)}）") from None
        if stat.S_ISDIR(st.st_mode):
            found = _html_files(path, target)
            if not found:
                raise UsageError(f"目錄 {target} 中沒有 .html 或 .htm 檔可檢查")
            files.update(dict.fromkeys(found))
        elif stat.S_ISREG(st.st_mode):
            if not os.access(path, os.R_OK):
                raise UsageError(f"無法讀取檢查目標 {target}（權限不足）")
            files[path] = None
        else:
            raise UsageError(f"檢查目標 {target} 不是一般檔案或目錄")
    return Targets(tuple(files), tuple(urls))


def git_work_tree(start: Path) -> Path | None:
    """The top of the git work tree holding `start`: the nearest ancestor with
    a `.git` entry (a directory, or a file in worktrees and submodules)."""
    for d in (start, *start.parents):
        if (d / ".git").exists():
            return d
    return None


def document_root(files: Sequence[Path], root: Path | None, cwd: Path) -> Path:
    """The site's document root for these files (module docstring)."""
    if root is not None:
        r = _abspath(root, cwd)
        if not r.is_dir():
            raise UsageError(f"--root {root} 不是目錄")
        for f in files:
            if not f.is_relative_to(r):
                raise UsageError(f"--root {root} 不包含檢查目標 {display_name(f, cwd)}")
        return r
    common = Path(os.path.commonpath([str(f.parent) for f in files]))
    top = git_work_tree(common)
    chain = [common, *common.parents]
    if top is not None:
        chain = chain[: chain.index(top) + 1]
    holding = [d for d in chain if any((d / name).is_file() for name in INDEX_FILES)]
    return holding[-1] if holding else common


# ---- the site ---------------------------------------------------------------

class LocalSite:
    """The document root as a web origin, and the names people read.

    `url_for(file)` is the URL a page is judged at, `file_for(url)` the file
    a URL under the origin means (None when it is not ours), `name(path)`
    how a file is shown and fingerprinted in every output."""

    def __init__(self, root: Path, cwd: Path, base_url: str | None = None):
        self.root = root
        self.cwd = cwd
        self.live = base_url is not None
        origin = base_url or STAND_IN_ORIGIN
        parts = urlsplit(origin)
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        self.origin = f"{parts.scheme}://{parts.netloc}{path}"
        self._prefix = (parts.scheme, parts.netloc.lower(), path)

    def url_for(self, file: Path) -> str:
        return self.origin + quote(file.relative_to(self.root).as_posix())

    def file_for(self, url: str) -> Path | None:
        parts = urlsplit(url)
        scheme, netloc, base = self._prefix
        if (parts.scheme, parts.netloc.lower()) != (scheme, netloc) or not parts.path.startswith(base):
            return None
        rel = unquote(parts.path[len(base):])
        if "\x00" in rel:
            return None
        # %2e%2e and friends: dot segments are resolved after decoding too,
        # and never climb above the root (a server does the same).
        rel = posixpath.normpath("/" + rel).lstrip("/")
        return self.root / rel if rel not in ("", ".") else self.root

    @staticmethod
    def existing(path: Path) -> Path | None:
        """The file a server would send for `path`: itself, or a directory's index."""
        if path.is_file():
            return path
        if path.is_dir():
            for name in DIRECTORY_INDEXES:
                if (path / name).is_file():
                    return path / name
        return None

    def name(self, path: Path) -> str:
        return display_name(path, self.cwd)


def display_name(path: Path, cwd: Path) -> str:
    """A file as every output names it: relative to the working directory
    (in CI, the repository's root: a baseline made in one checkout matches
    in another); a file outside it by its absolute path, not by ../../.."""
    return os.path.relpath(path, cwd) if path.is_relative_to(cwd) else str(path)


# ---- serving the root to the browser ------------------------------------------

class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass


# Below Linux's ephemeral range (32768-60999), so the port asked for is rarely
# one the kernel handed to some other connection.
STABLE_PORTS = range(20000, 32768)


def stable_port(root: Path) -> int:
    """The loopback port the document root is served on, the same on every
    run: the accessibility cache is keyed by page URL (crawler/a11y.py), so
    an ephemeral port would make every `check` a cold one."""
    digest = hashlib.sha256(str(root.resolve()).encode("utf-8", "surrogateescape")).digest()
    return STABLE_PORTS[int.from_bytes(digest[:4], "big") % len(STABLE_PORTS)]


@contextlib.contextmanager
def serve_root(root: Path) -> Iterator[str]:
    """The document root on a loopback port, for the browser: pages opened as
    file:// would load `/css/site.css` from the file system's root, and the
    accessibility results (contrast above all) would not be the live site's."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    try:
        server = ThreadingHTTPServer(("127.0.0.1", stable_port(root)), handler)
    except OSError:  # taken (another check of the same root): any free port, the cache just misses
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="siteaudit-check-root", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
