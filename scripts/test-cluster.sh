#!/usr/bin/env bash
# `npm run test:cluster`: the API tests on the scale-out backend (decision 017). Starts a fresh
# cluster (scripts/cluster.sh: two ClickHouse shards, PostgreSQL, two Roost nodes, the proxy),
# runs the API tests through the proxy (admin, ingest, outcomes, events, stats, attachments,
# Sentry ingest, identity, app users, feedback, questionnaires, issues, metrics, funnels, MCP and
# the security matrix), then the cluster's own tests, and removes the cluster. Extra arguments go
# to `bun test`.
set -euo pipefail
cd "$(dirname "$0")/.."
export ROOST_CLUSTER_DIR="${ROOST_CLUSTER_DIR:-$(mktemp -d /tmp/roost-cluster-test.XXXXXX)}"
export ROOST_CLUSTER_PORT_BASE="${ROOST_CLUSTER_PORT_BASE:-27000}"
# On a failure, the nodes' logged errors are the only trace of what a node answered and why.
on_exit() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    for log in "$ROOST_CLUSTER_DIR"/node*/node.log; do
      # A log without errors is no failure of this trap (pipefail would end it before the clean).
      [ -f "$log" ] && { grep -E ' (ERROR|WARN) ' "$log" | tail -20 | sed "s|^|$(basename "$(dirname "$log")"): |" >&2 || true; }
    done
  fi
  scripts/cluster.sh clean >/dev/null 2>&1 || true
  exit "$status"
}
trap on_exit EXIT
started=$SECONDS
export ROOST_METRICS_TOKEN="${ROOST_METRICS_TOKEN:-cluster-metrics-token}"
# The read APIs' own limits are tested on nodes of their own (tests/cluster); these nodes serve
# every other test, which would only trip over them. The per-file attachment cap is the one the
# attachments tests give their embedded server.
ROOST_EVENTS_RATE_BURST=1000000 ROOST_EVENTS_RATE_PER_SECOND=1000000 ROOST_STATS_RATE_PER_SECOND=1000000 \
  ROOST_ATTACHMENT_MAX_BYTES=1000000 scripts/cluster.sh start >/dev/null
echo "cluster up in $((SECONDS - started)) s" >&2
eval "$(scripts/cluster.sh env)"
export ROOST_TEST_CLUSTER=1
node_modules/.bin/bun test --timeout 60000 \
  tests/modules/teams.test.ts tests/modules/projects.test.ts tests/modules/apps.test.ts \
  tests/modules/keys.test.ts tests/modules/auth.test.ts tests/modules/health.test.ts \
  tests/modules/ingest.test.ts tests/modules/malformed.test.ts tests/modules/outcomes.test.ts \
  tests/modules/events.test.ts tests/modules/stats.test.ts tests/modules/attachments.test.ts \
  tests/modules/sentry/ingest.test.ts tests/modules/identity.test.ts tests/modules/app-users.test.ts \
  tests/modules/feedback.test.ts tests/modules/questionnaires.test.ts tests/modules/issues/issues.test.ts \
  tests/modules/metrics.test.ts tests/modules/funnels.test.ts tests/modules/mcp.test.ts \
  tests/security.test.ts \
  ./tests/cluster/routes.cluster.ts ./tests/cluster/cross-node.cluster.ts ./tests/cluster/issues.cluster.ts \
  ./tests/cluster/literal.cluster.ts ./tests/cluster/export.cluster.ts ./tests/cluster/schema.cluster.ts \
  ./tests/cluster/cli.cluster.ts ./tests/cluster/app-users.cluster.ts "$@"
