#!/bin/sh
# Installs the Debian packages siteaudit needs when they are missing.
#
#   tools/setup-system.sh demo   the browser stage: chromium, chromium-driver, a CJK font
#   tools/setup-system.sh test   the same, plus what the tests of printing and
#                                of the Redis queue use (LibreOffice Calc,
#                                poppler-utils, redis-server)
#
# Called by `make demo` / `make test`.  As root it runs apt-get itself; as
# another user it uses sudo.  The paths it looks at are variables so that
# tests/test_setup_script.py can run it with stub apt-get/sudo/npm first on
# PATH and a browser reported missing.
#
# What cannot be installed gets one Chinese line saying what to run by hand.
# The browser is required (exit 1 without it); the test-only extras are not:
# the tests that need them are skipped with a stated reason.
set -u

WANT=${1:-demo}
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
# Calc itself, not /usr/bin/soffice: that comes with libreoffice-core and
# stays when libreoffice-calc-nogui is removed, and it cannot print a sheet.
LO_CALC=${LO_CALC:-/usr/lib/libreoffice/program/libsclo.so}
PDFINFO=${PDFINFO:-/usr/bin/pdfinfo}
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
FC_LIST=${FC_LIST:-fc-list}
NPM=${NPM:-npm}
# A variable too: the test of "no sudo" must not find the machine's real one
# (which would run the real apt-get).
SUDO=${SUDO:-sudo}

have_cjk_font() {
    "$FC_LIST" 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk\|noto serif cjk"
}

required=""
[ -x "$CHROMIUM" ] || required="$required chromium"
[ -x "$CHROMEDRIVER" ] || required="$required chromium-driver"
have_cjk_font || required="$required fonts-wqy-microhei fontconfig"
command -v "$NPM" >/dev/null 2>&1 || required="$required npm"

extras=""
if [ "$WANT" = test ]; then
    [ -e "$LO_CALC" ] || extras="$extras libreoffice-calc-nogui"
    [ -x "$PDFINFO" ] || extras="$extras poppler-utils"
    [ -x "$REDIS_SERVER" ] || extras="$extras redis-server"
fi

packages=$(echo $required $extras)
[ -n "$packages" ] || exit 0

if [ "$(id -u)" = 0 ]; then
    as_root=""
elif command -v "$SUDO" >/dev/null 2>&1; then
    as_root="$SUDO"
else
    as_root="none"
fi

install() {
    # env, not a bare VAR=value: after "$as_root" expands to nothing a bare
    # assignment would be taken as the command name (issue 9).
    $as_root apt-get update -qq &&
        $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

echo "安裝系統套件：$packages" >&2
if [ "$as_root" != none ] && install $packages; then
    exit 0
fi

# All at once failed (no sudo, no network to the mirror, a package unknown):
# the browser is what the audit cannot do without.
if [ -n "$required" ]; then
    required=$(echo $required)
    echo "siteaudit：無法自動安裝 $required，請以系統管理員身分執行：sudo apt-get install -y $required" >&2
    exit 1
fi
if [ "$as_root" != none ]; then
    # Try the extras one by one so that one missing package does not cost the others.
    for p in $extras; do install "$p" >/dev/null 2>&1 || missing="${missing:-} $p"; done
else
    missing=$extras
fi
if [ -n "${missing:-}" ]; then
    missing=$(echo $missing)
    echo "siteaudit：無法自動安裝 $missing，相關測試將略過；要執行它們請先執行：sudo apt-get install -y $missing" >&2
fi
exit 0
