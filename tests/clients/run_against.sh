#!/usr/bin/env bash
# Runs sdk_test.py and az_test.sh against a fresh Leitstand server:
#   tests/clients/run_against.sh path/to/leitstand
# Starts the binary on a free port with a self-signed certificate and a data directory from
# mktemp, creates a global-admin service principal (Owner at `/`), a second service principal
# without any role assignment, two subscriptions and a user with its CLI, runs both client
# scripts, stops the server (SIGTERM) and exits non-zero if either script failed.
# Interpreters: $LEITSTAND_SDK_PYTHON and $LEITSTAND_AZ (default: the .venv-sdk and .venv-az
# of the repository, as ./test.sh makes them). The server's log is printed when a script fails.
set -euo pipefail
[[ $# -eq 1 && -x $1 ]] || { echo "usage: $0 path/to/leitstand" >&2; exit 2; }
BIN=$(realpath "$1")
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export LEITSTAND_SDK_PYTHON=${LEITSTAND_SDK_PYTHON:-$ROOT/.venv-sdk/bin/python}
export LEITSTAND_AZ=${LEITSTAND_AZ:-$ROOT/.venv-az/bin/az}

DATA=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" --data "$DATA" serve --listen "127.0.0.1:$PORT" --self-signed >"$DATA/server.log" 2>&1 &
SERVER=$!
trap 'kill -TERM $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$DATA"' EXIT

export LEITSTAND_URL=https://127.0.0.1:$PORT REQUESTS_CA_BUNDLE=$DATA/tls/cert.pem
for _ in $(seq 100); do
    [[ -f $REQUESTS_CA_BUNDLE ]] && curl -fs --cacert "$REQUESTS_CA_BUNDLE" "$LEITSTAND_URL/healthz" >/dev/null && break
    kill -0 $SERVER 2>/dev/null || { cat "$DATA/server.log" >&2; exit 1; }
    sleep 0.1
done

cli() { "$BIN" --data "$DATA" --output json "$@"; }
field() { python3 -c 'import json, sys; v = json.load(sys.stdin); print(v[0][sys.argv[1]] if isinstance(v, list) else v[sys.argv[1]])' "$1"; }
LEITSTAND_TENANT=$(cli tenant list | field id)
SP=$(cli sp create --tenant "$LEITSTAND_TENANT" --name admin --global-admin)
LEITSTAND_CLIENT_ID=$(field appId <<<"$SP")
LEITSTAND_CLIENT_SECRET=$(field secret <<<"$SP")
# Nobody has access by default: the operator makes the first administrator Owner at `/`.
cli role assign --tenant "$LEITSTAND_TENANT" --principal "$(field objectId <<<"$SP")" --role Owner --scope / >/dev/null
S1=$(cli subscription create --tenant "$LEITSTAND_TENANT" --display-name sub1 | field subscriptionId)
S2=$(cli subscription create --tenant "$LEITSTAND_TENANT" --display-name sub2 | field subscriptionId)
LEITSTAND_USER_ID=$(cli principal create --tenant "$LEITSTAND_TENANT" --type User --name carol | field id)
# A second service principal without any role assignment: the scripts check that it is refused
# until they grant it a role, and delete what they granted.
OTHER=$(cli sp create --tenant "$LEITSTAND_TENANT" --name outsider)
LEITSTAND_OTHER_CLIENT_ID=$(field appId <<<"$OTHER")
LEITSTAND_OTHER_CLIENT_SECRET=$(field secret <<<"$OTHER")
LEITSTAND_OTHER_OBJECT_ID=$(field objectId <<<"$OTHER")
# Cost data: one of the FOCUS 1.0 sample's AWS accounts onboarded, the sample ingested.
export LEITSTAND_FOCUS_SAMPLE=$ROOT/../shared/data/focus/focus_1.0_sample_1000rows.csv
export LEITSTAND_COST_ACCOUNT=011353890204
cli subscription create --tenant "$LEITSTAND_TENANT" --display-name aws-sample --id "$LEITSTAND_COST_ACCOUNT" >/dev/null
cli cost ingest --tenant "$LEITSTAND_TENANT" "$LEITSTAND_FOCUS_SAMPLE" >/dev/null 2>"$DATA/ingest.log" ||
    { cat "$DATA/ingest.log" >&2; exit 1; }
export LEITSTAND_TENANT LEITSTAND_CLIENT_ID LEITSTAND_CLIENT_SECRET LEITSTAND_SUBSCRIPTIONS=$S1,$S2 LEITSTAND_USER_ID
export LEITSTAND_OTHER_CLIENT_ID LEITSTAND_OTHER_CLIENT_SECRET LEITSTAND_OTHER_OBJECT_ID
# Generic resources: Leitstand accepts only the Microsoft.Resources api-versions.
export LEITSTAND_RESOURCE_API_VERSION=${LEITSTAND_RESOURCE_API_VERSION:-2024-03-01}

status=0
# The served OpenAPI document must be valid OpenAPI (openapi-spec-validator).
"$LEITSTAND_SDK_PYTHON" - "$LEITSTAND_URL/openapi.json" <<'PY' || status=1
import json, ssl, sys, urllib.request
from openapi_spec_validator import validate
context = ssl.create_default_context(cafile=__import__("os").environ["REQUESTS_CA_BUNDLE"])
document = json.load(urllib.request.urlopen(sys.argv[1], context=context))
validate(document)
print(f"ok    /openapi.json is valid OpenAPI {document['openapi']} ({len(document['paths'])} paths)")
PY
"$LEITSTAND_SDK_PYTHON" "$HERE/sdk_test.py" || status=1
"$LEITSTAND_SDK_PYTHON" "$HERE/costs_test.py" || status=1
"$HERE/az_test.sh" || status=1
if [[ $status -ne 0 ]]; then
    echo "--- server log ($DATA/server.log)" >&2
    tail -n 50 "$DATA/server.log" >&2
fi
exit $status
