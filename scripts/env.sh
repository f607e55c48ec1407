# Shared settings for the scripts; sourced, not run.
# Build output lives outside the clone (a cache folder) unless CARGO_TARGET_DIR says otherwise.

MODDESK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MODDESK_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/moddesk
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$MODDESK_CACHE/target}
# The built browser bundle and static files; the server reads it from here.
export MODDESK_SITE_ROOT=${MODDESK_SITE_ROOT:-$CARGO_TARGET_DIR/site}
MODDESK_TOOLS=$MODDESK_CACHE/tools
export PATH="$HOME/.cargo/bin:$MODDESK_TOOLS/npm/node_modules/.bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}
