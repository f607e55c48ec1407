#!/usr/bin/env bash
# Starts moddesk for the browser tests: a fresh database in a temporary folder, one admin user,
# and the test webhook secret. MODDESK_BIN and MODDESK_SITE_ROOT come from scripts/test.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/tests/fixture.env"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export MODDESK_DATABASE_URL="sqlite://$dir/moddesk.db"
export MODDESK_LISTEN="127.0.0.1:$E2E_PORT"
export MODDESK_WEBHOOK_SECRET="$E2E_SECRET"

printf '%s\n' "$E2E_PASSWORD" | "$MODDESK_BIN" user add "$E2E_USER" --role admin
for name in e2e-reviewer e2e-reviewer2; do
    printf '%s\n' "$E2E_PASSWORD" | "$MODDESK_BIN" user add "$name" --role reviewer
done
printf '%s\n' "$E2E_PASSWORD" | "$MODDESK_BIN" user add e2e-manager --role manager
"$MODDESK_BIN" serve
