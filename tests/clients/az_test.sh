#!/usr/bin/env bash
# Drives a running Leitstand server with Microsoft's `az` CLI (azure-cli 2.91.0 from the
# `.venv-az` virtual environment that ./test.sh sets up from tests/clients/requirements-az.txt).
#
#   LEITSTAND_AZ=.venv-az/bin/az
#   LEITSTAND_URL=https://127.0.0.1:PORT            # no trailing slash
#   LEITSTAND_TENANT=<tenant GUID>                   # also the name of the tenant root group
#   LEITSTAND_CLIENT_ID=<service principal app id>
#   LEITSTAND_CLIENT_SECRET=<its secret>
#   LEITSTAND_SUBSCRIPTIONS=<sub GUID>,<sub GUID>    # two subscriptions under the root group
#   REQUESTS_CA_BUNDLE=<the server's certificate (PEM)>
#   tests/clients/az_test.sh
#
# It prints one line per check and exits 1 at the first failed check (2 on a usage error).
# It runs in a fresh AZURE_CONFIG_DIR, uses names with a random suffix, so it can run again
# against the same server, and deletes the groups it created.
#
# What az 2.91 does here (see also ../shared/CLIENTS.md):
# - `az cloud register --endpoint-resource-manager URL/` reads
#   GET //metadata/endpoints?api-version=2022-09-01 (doubled slash);
# - `az login --service-principal` asks MSAL for a token with scope `URL//.default`, then lists
#   GET /subscriptions?api-version=2022-12-01; `az account list` shows only state `Enabled`;
# - `az account management-group create|list|show|delete` without --no-register first POST
#   /subscriptions/{sub}/providers/Microsoft.Management/register?api-version=2024-11-01, sleep
#   10 s and poll GET /subscriptions/{sub}/providers/Microsoft.Management until
#   registrationState is `Registered`; `update` and `subscription add|remove|show` never do;
# - management groups use api-version 2021-04-01; a PUT must answer 200 or 202, a DELETE 202 or
#   204; create sends {"name", "properties": {"displayName"?, "details": {"parent": {"id"?}}}}
#   (an empty parent means the root group); update sends PATCH {"displayName"} without a GET;
# - `show --expand` sends $expand=children&$recurse=false, `show --expand --recurse`
#   $recurse=true;
# - az prints management groups flattened (SDK 1.0.0 models): `displayName`, `details.parent`,
#   `children` at the top level, not under `properties`; the same for subscriptions under a
#   group (`parent.id`);
# - `monitor activity-log list` has no tenant or management-group scope: it reads
#   GET /subscriptions/{sub}/providers/Microsoft.Insights/eventtypes/management/values
#   ?api-version=2015-04-01&$filter=eventTimestamp ge 2026-01-01T10:00:00+00:00 and
#   eventTimestamp le 2026-01-01T11:00:00+00:00 (timestamps unquoted, with an offset); a
#   subscription's log holds only that subscription's events (no management-group writes).
set -euo pipefail

usage_error() {
    echo "az_test.sh: $*" >&2
    exit 2
}
for name in LEITSTAND_AZ LEITSTAND_URL LEITSTAND_TENANT LEITSTAND_CLIENT_ID LEITSTAND_CLIENT_SECRET \
    LEITSTAND_SUBSCRIPTIONS REQUESTS_CA_BUNDLE; do
    [[ -n ${!name:-} ]] || usage_error "environment variable $name is not set"
done
[[ -x $LEITSTAND_AZ ]] || usage_error "LEITSTAND_AZ=$LEITSTAND_AZ is not executable"

URL=${LEITSTAND_URL%/}
TENANT=$LEITSTAND_TENANT
IFS=, read -r SUB1 SUB2 _ <<<"$LEITSTAND_SUBSCRIPTIONS,"
[[ -n $SUB1 && -n $SUB2 ]] || usage_error "LEITSTAND_SUBSCRIPTIONS needs two subscription ids"
SUFFIX=$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
G1=azg-a-$SUFFIX
G2=azg-b-$SUFFIX

AZURE_CONFIG_DIR=$(mktemp -d)
export AZURE_CONFIG_DIR
export AZURE_CORE_COLLECT_TELEMETRY=false
export AZURE_CORE_NO_COLOR=true
export AZURE_CORE_ONLY_SHOW_ERRORS=true
export AZURE_CORE_SURVEY_MESSAGE=false
ERR=$AZURE_CONFIG_DIR/stderr
trap 'rm -rf "$AZURE_CONFIG_DIR"' EXIT

ok() { echo "ok    $*"; }
fail() {
    echo "FAIL  $*" >&2
    exit 1
}
# Prints an az command line with the client secret masked.
show_command() {
    local arg out=az
    for arg in "$@"; do
        [[ $arg == "$LEITSTAND_CLIENT_SECRET" ]] && arg='***'
        out+=" $arg"
    done
    printf '%s' "$out"
}
# Runs az and prints its stdout; on failure shows the command and az's stderr and exits 1.
az_ok() {
    local out
    if ! out=$("$LEITSTAND_AZ" "$@" 2>"$ERR" </dev/null); then
        echo "FAIL  $(show_command "$@") exited non-zero:" >&2
        cat "$ERR" >&2
        exit 1
    fi
    printf '%s' "$out"
}
# Runs az and succeeds only if az fails; prints the first line of az's error.
az_fails() {
    if "$LEITSTAND_AZ" "$@" >/dev/null 2>"$ERR" </dev/null; then
        return 1
    fi
    head -n 1 "$ERR" | cut -c1-200
}
# Succeeds when the newline-separated list $1 contains $2, ignoring case (ARM ids are
# case-insensitive).
contains() {
    grep -qixF -- "$2" <<<"$1"
}
# Joins the lines of $1 with spaces, for messages.
oneline() {
    tr '\n' ' ' <<<"$1" | sed 's/ $//'
}
# Compares two ARM names or ids, ignoring case.
same() {
    [[ ${1,,} == "${2,,}" ]]
}

echo "az_test.sh against $URL, tenant $TENANT, suffix $SUFFIX"
STARTED_AT=$(date -u -d '-1 minute' +%Y-%m-%dT%H:%M:%SZ)

# --- cloud and sign-in ---------------------------------------------------------------------
az_ok cloud register --name Leitstand --endpoint-resource-manager "$URL/" >/dev/null
arm=$(az_ok cloud show --name Leitstand --query endpoints.resourceManager -o tsv)
same "$arm" "$URL/" || fail "cloud register: resourceManager is '$arm', expected '$URL/'"
login_endpoint=$(az_ok cloud show --name Leitstand --query endpoints.activeDirectory -o tsv)
[[ -n $login_endpoint ]] || fail "cloud register: no activeDirectory endpoint from /metadata/endpoints"
ok "cloud register reads /metadata/endpoints (login endpoint $login_endpoint)"
az_ok cloud set --name Leitstand >/dev/null
az_ok config set core.instance_discovery=false >/dev/null
current=$(az_ok cloud show --query name -o tsv)
[[ $current == Leitstand ]] || fail "cloud set: active cloud is '$current'"
ok "cloud set Leitstand, instance discovery off"

if error=$(az_fails login --service-principal -u "$LEITSTAND_CLIENT_ID" -p "wrong-$LEITSTAND_CLIENT_SECRET" \
    --tenant "$TENANT"); then
    ok "login with a wrong secret fails ($error)"
else
    fail "login with a wrong secret succeeded"
fi

logged_in=$(az_ok login --service-principal -u "$LEITSTAND_CLIENT_ID" -p "$LEITSTAND_CLIENT_SECRET" \
    --tenant "$TENANT" --query '[].id' -o tsv)
{ contains "$logged_in" "$SUB1" && contains "$logged_in" "$SUB2"; } ||
    fail "login: subscriptions '$(oneline "$logged_in")' do not include $SUB1 and $SUB2"
ok "login with the right secret lists both subscriptions"

listed=$(az_ok account list --query "[?state=='Enabled'].id" -o tsv)
{ contains "$listed" "$SUB1" && contains "$listed" "$SUB2"; } ||
    fail "account list: enabled subscriptions '$(oneline "$listed")' do not include $SUB1 and $SUB2"
tenant_of_sub1=$(az_ok account list --query "[?id=='$SUB1'].tenantId | [0]" -o tsv)
same "$tenant_of_sub1" "$TENANT" || fail "account list: tenantId of $SUB1 is '$tenant_of_sub1'"
ok "account list shows both subscriptions, enabled, in tenant $TENANT"

az_ok account set --subscription "$SUB1" >/dev/null
current=$(az_ok account show --query id -o tsv)
same "$current" "$SUB1" || fail "account set: current subscription is '$current'"
ok "account set --subscription $SUB1"

token=$(az_ok account get-access-token --query accessToken -o tsv)
[[ -n $token ]] || fail "account get-access-token returned no token"
ok "account get-access-token"

# --- management groups -----------------------------------------------------------------------
# The first call goes through the provider registration (about 10 s); the later ones skip it.
created=$(az_ok account management-group create --name "$G1" --display-name "AZ $G1" \
    --query '[name, displayName, details.parent.name]' -o tsv)
{ read -r name; read -r display; read -r parent; } <<<"$created" || true
{ same "$name" "$G1" && [[ $display == "AZ $G1" ]] && same "$parent" "$TENANT"; } ||
    fail "create $G1: got '$(oneline "$created")', expected name $G1, display name 'AZ $G1', parent $TENANT"
display=$(az_ok account management-group show --name "$G1" --no-register --query displayName -o tsv)
[[ $display == "AZ $G1" ]] || fail "create $G1: display name is '$display'"
ok "management-group create $G1 under the root (with provider registration)"

state=$(az_ok provider show --namespace Microsoft.Management --query registrationState -o tsv)
[[ $state == Registered ]] || fail "provider show Microsoft.Management: registrationState is '$state'"
ok "provider Microsoft.Management is Registered"

parent=$(az_ok account management-group create --name "$G2" --parent "$G1" --no-register \
    --query details.parent.id -o tsv)
same "$parent" "/providers/Microsoft.Management/managementGroups/$G1" ||
    fail "create $G2: parent id is '$parent'"
ok "management-group create $G2 under $G1 (--no-register)"

names=$(az_ok account management-group list --no-register --query '[].name' -o tsv)
{ contains "$names" "$G1" && contains "$names" "$G2" && contains "$names" "$TENANT"; } ||
    fail "management-group list: '$(oneline "$names")' lacks $TENANT, $G1 or $G2"
ok "management-group list shows the root, $G1 and $G2"

children=$(az_ok account management-group show --name "$G1" --expand --recurse --no-register \
    --query "children[].name" -o tsv)
contains "$children" "$G2" || fail "show $G1 --expand --recurse: children are '$(oneline "$children")'"
ok "management-group show $G1 --expand --recurse lists $G2"

display=$(az_ok account management-group update --name "$G1" --display-name "Renamed $G1" \
    --query displayName -o tsv)
[[ $display == "Renamed $G1" ]] || fail "update $G1: display name is '$display'"
display=$(az_ok account management-group show --name "$G1" --no-register --query displayName -o tsv)
parent=$(az_ok account management-group show --name "$G1" --no-register --query details.parent.name -o tsv)
{ [[ $display == "Renamed $G1" ]] && same "$parent" "$TENANT"; } ||
    fail "update $G1: show gives display name '$display', parent '$parent'"
ok "management-group update --display-name (parent unchanged)"

# --- subscriptions ---------------------------------------------------------------------------
az_ok account management-group subscription add --name "$G2" --subscription "$SUB1" >/dev/null
parent=$(az_ok account management-group subscription show --name "$G2" --subscription "$SUB1" \
    --query parent.id -o tsv)
same "$parent" "/providers/Microsoft.Management/managementGroups/$G2" ||
    fail "subscription add: parent of $SUB1 is '$parent'"
children=$(az_ok account management-group show --name "$G2" --expand --no-register \
    --query "children[?type=='/subscriptions'].name" -o tsv)
contains "$children" "$SUB1" || fail "show $G2 --expand: subscription children are '$(oneline "$children")'"
under=$(az_ok account management-group subscription show-sub-under-mg --name "$G2" --query '[].name' -o tsv)
contains "$under" "$SUB1" || fail "subscription show-sub-under-mg $G2: '$(oneline "$under")'"
ok "management-group subscription add $SUB1 to $G2"

if error=$(az_fails account management-group delete --name "$G2" --no-register); then
    ok "delete $G2 while it holds a subscription fails ($error)"
else
    fail "delete $G2 while it holds a subscription succeeded"
fi

az_ok account management-group subscription remove --name "$G2" --subscription "$SUB1" >/dev/null
children=$(az_ok account management-group show --name "$G2" --expand --no-register \
    --query "children[?type=='/subscriptions'].name" -o tsv)
! contains "$children" "$SUB1" || fail "subscription remove: $G2 still lists $SUB1"
children=$(az_ok account management-group show --name "$TENANT" --expand --no-register \
    --query "children[?type=='/subscriptions'].name" -o tsv)
contains "$children" "$SUB1" || fail "subscription remove: the root group does not list $SUB1 ('$(oneline "$children")')"
ok "management-group subscription remove puts $SUB1 back under the root"

# --- errors and deletion ---------------------------------------------------------------------
if error=$(az_fails account management-group delete --name "$G1" --no-register); then
    ok "delete $G1 while it has a child group fails ($error)"
else
    fail "delete $G1 while it has a child group succeeded"
fi
if error=$(az_fails account management-group delete --name "$TENANT" --no-register); then
    ok "delete the tenant root group fails ($error)"
else
    fail "delete the tenant root group succeeded"
fi

az_ok account management-group delete --name "$G2" --no-register >/dev/null
az_ok account management-group delete --name "$G1" --no-register >/dev/null
if error=$(az_fails account management-group show --name "$G1" --no-register); then
    ok "management-group delete $G2 and $G1 ($G1 is gone: $error)"
else
    fail "management-group delete: $G1 still exists"
fi

# --- activity log ----------------------------------------------------------------------------
# A subscription's activity log holds only events of that subscription: management-group
# create/update/delete are not among them, but moving $SUB1 into $G2 is (operation
# Microsoft.Management/managementGroups/subscriptions/write on .../managementGroups/$G2/subscriptions/$SUB1).
MOVE_OP=Microsoft.Management/managementGroups/subscriptions/write
MOVE_ID=/providers/Microsoft.Management/managementGroups/$G2/subscriptions/$SUB1
events=
for _ in $(seq 1 10); do
    events=$(az_ok monitor activity-log list --start-time "$STARTED_AT" --offset 1h --max-events 5000 \
        --query '[].[operationName.value, resourceId]' -o tsv)
    contains "$events" "$MOVE_OP"$'\t'"$MOVE_ID" && break
    sleep 1
done
contains "$events" "$MOVE_OP"$'\t'"$MOVE_ID" ||
    fail "activity-log list since $STARTED_AT has no $MOVE_OP event for $MOVE_ID (operations: $(cut -f1 <<<"$events" | sort -u | tr '\n' ' '))"
ok "activity-log list of $SUB1 shows its move into $G2 ($MOVE_OP)"

# --- roles (when the driver made a user principal) ------------------------------------------
if [[ -n ${LEITSTAND_USER_ID:-} ]]; then
    roles=$(az_ok role definition list --name Reader --scope "/subscriptions/$SUB1" --query '[].roleName' -o tsv)
    same "$roles" Reader || fail "role definition list --name Reader gave: $(oneline "$roles")"
    ok "role definition list --name Reader finds the built-in role"
    scope=$(az_ok role assignment create --assignee-object-id "$LEITSTAND_USER_ID" --assignee-principal-type User \
        --role Reader --scope "/subscriptions/$SUB1" --query scope -o tsv)
    same "$scope" "/subscriptions/$SUB1" || fail "role assignment create answered scope $scope"
    ok "role assignment create gives $LEITSTAND_USER_ID Reader on $SUB1"
    listed=$(az_ok role assignment list --scope "/subscriptions/$SUB1" --query '[].[principalId, roleDefinitionName]' -o tsv)
    contains "$listed" "$LEITSTAND_USER_ID"$'\t'"Reader" || fail "role assignment list shows: $(oneline "$listed")"
    ok "role assignment list shows the assignment with its role name"
    az_ok role assignment delete --assignee "$LEITSTAND_USER_ID" --role Reader --scope "/subscriptions/$SUB1" >/dev/null
    listed=$(az_ok role assignment list --scope "/subscriptions/$SUB1" --query '[].principalId' -o tsv)
    contains "$listed" "$LEITSTAND_USER_ID" && fail "role assignment delete left: $(oneline "$listed")"
    ok "role assignment delete removes it"
fi

echo "az_test.sh: all checks passed"
