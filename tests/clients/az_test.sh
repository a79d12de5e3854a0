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
#   LEITSTAND_OTHER_CLIENT_ID=<app id of a second service principal without any assignment>
#   LEITSTAND_OTHER_CLIENT_SECRET=<its secret>
#   LEITSTAND_OTHER_OBJECT_ID=<its object id>
#   REQUESTS_CA_BUNDLE=<the server's certificate (PEM)>
#   tests/clients/az_test.sh
#
# It prints one line per check and exits 1 at the first failed check (2 on a usage error).
# It runs in a fresh AZURE_CONFIG_DIR (the second principal signs in in another one), uses names
# with a random suffix, so it can run again against the same server, and deletes the groups,
# the custom role and the role assignments it created.
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
#   subscription's log holds only that subscription's events (no management-group writes);
# - `az role definition create` PUTs {scope}/providers/Microsoft.Authorization/roleDefinitions/
#   {new GUID}?api-version=2022-05-01-preview at the first assignable scope, the role name taken
#   from the JSON's `Name`;
# - `az role assignment create --role NAME` resolves NAME with `roleName eq '…'` at the scope,
#   then PUTs api-version 2022-04-01; on 409 `RoleAssignmentExists` it lists and returns the
#   existing assignment (idempotent);
# - `az role assignment list|delete --scope S` lists with `$filter=atScope()` and keeps, unless
#   --include-inherited, the items whose `properties.scope` equals S; it names roles by matching
#   `roleDefinitionId` against the ids of the definitions listed at S (exact string match);
# - `az login --service-principal --allow-no-subscriptions` for a principal that can read no
#   subscription signs in to the tenant; `az account list --refresh` lists the subscriptions
#   again with the cached token.
set -euo pipefail

usage_error() {
    echo "az_test.sh: $*" >&2
    exit 2
}
for name in LEITSTAND_AZ LEITSTAND_URL LEITSTAND_TENANT LEITSTAND_CLIENT_ID LEITSTAND_CLIENT_SECRET \
    LEITSTAND_SUBSCRIPTIONS LEITSTAND_OTHER_CLIENT_ID LEITSTAND_OTHER_CLIENT_SECRET LEITSTAND_OTHER_OBJECT_ID \
    REQUESTS_CA_BUNDLE; do
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
# The second service principal's own az configuration and token cache.
OTHER_CONFIG_DIR=$(mktemp -d)
OTHER=$LEITSTAND_OTHER_OBJECT_ID
export AZURE_CORE_COLLECT_TELEMETRY=false
export AZURE_CORE_NO_COLOR=true
export AZURE_CORE_ONLY_SHOW_ERRORS=true
export AZURE_CORE_SURVEY_MESSAGE=false
ERR=$AZURE_CONFIG_DIR/stderr
trap 'rm -rf "$AZURE_CONFIG_DIR" "$OTHER_CONFIG_DIR"' EXIT

ok() { echo "ok    $*"; }
fail() {
    echo "FAIL  $*" >&2
    exit 1
}
# Prints an az command line with the client secret masked.
show_command() {
    local arg out=az
    for arg in "$@"; do
        [[ $arg == "$LEITSTAND_CLIENT_SECRET" || $arg == "$LEITSTAND_OTHER_CLIENT_SECRET" ]] && arg='***'
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
# Runs az as the second service principal (its own AZURE_CONFIG_DIR).
other_ok() {
    AZURE_CONFIG_DIR=$OTHER_CONFIG_DIR az_ok "$@"
}
# Succeeds only if az, run as the second service principal, fails with AuthorizationFailed;
# prints the first line of az's error.
other_refused() {
    if AZURE_CONFIG_DIR=$OTHER_CONFIG_DIR "$LEITSTAND_AZ" "$@" >/dev/null 2>"$ERR" </dev/null; then
        echo "the command succeeded"
        return 1
    fi
    if ! grep -q AuthorizationFailed "$ERR"; then
        head -n 3 "$ERR" | cut -c1-300
        return 1
    fi
    head -n 1 "$ERR" | cut -c1-200
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

# --- role-based access control ---------------------------------------------------------------
# A custom role assignable at $G1, assigned to the second principal at $G1 (inherited by $G2),
# Reader for it on $SUB2; it is refused before, allowed after (with the token it already had)
# and refused again once the assignments are deleted.
G1_ID=/providers/Microsoft.Management/managementGroups/$G1
G2_ID=/providers/Microsoft.Management/managementGroups/$G2
CUSTOM="AZ group reader $SUFFIX"

roles=$(az_ok role definition list --name Reader --scope "$G1_ID" --query '[].[roleName, roleType, name]' -o tsv)
[[ $roles == $'Reader\tBuiltInRole\tacdd72a7-3385-48ef-bd42-f606fba81ae7' ]] ||
    fail "role definition list --name Reader --scope $G1_ID gave: $(oneline "$roles")"
ok "role definition list --name Reader at $G1 finds the built-in role"

definition=$(printf '{"Name": "%s", "Description": "reads management groups", "Actions": ["Microsoft.Management/managementGroups/read"], "NotActions": [], "AssignableScopes": ["%s"]}' "$CUSTOM" "$G1_ID")
created=$(az_ok role definition create --role-definition "$definition" --query '[roleName, roleType, assignableScopes[0]]' -o tsv)
{ read -r name; read -r kind; read -r assignable; } <<<"$created" || true
{ [[ $name == "$CUSTOM" && $kind == CustomRole ]] && same "$assignable" "$G1_ID"; } ||
    fail "role definition create gave '$(oneline "$created")'"
ok "role definition create '$CUSTOM' assignable at $G1"
found=$(az_ok role definition list --name "$CUSTOM" --scope "$G2_ID" --custom-role-only --query '[].roleName' -o tsv)
[[ $found == "$CUSTOM" ]] || fail "role definition list --name '$CUSTOM' --scope $G2_ID gave: $(oneline "$found")"
ok "role definition list finds '$CUSTOM' at $G2, below its assignable scope"

# The second principal signs in: it can read no subscription yet.
other_ok cloud register --name Leitstand --endpoint-resource-manager "$URL/" >/dev/null
other_ok cloud set --name Leitstand >/dev/null
other_ok config set core.instance_discovery=false >/dev/null
other_subs=$(other_ok login --service-principal -u "$LEITSTAND_OTHER_CLIENT_ID" -p "$LEITSTAND_OTHER_CLIENT_SECRET" \
    --tenant "$TENANT" --allow-no-subscriptions --query "[?id!='$TENANT'].id" -o tsv)
[[ -z $other_subs ]] || fail "login of the second principal: it sees subscriptions '$(oneline "$other_subs")'"
ok "the second principal signs in (--allow-no-subscriptions) and sees no subscription"
other_token=$(other_ok account get-access-token --query accessToken -o tsv)
if error=$(other_refused account management-group show --name "$G1" --no-register); then
    ok "the second principal may not read $G1 ($error)"
else
    fail "management-group show $G1 as the second principal: $error"
fi
# The role by its full id, so that az does not look it up by name first (a read, refused too).
if error=$(other_refused role assignment create --assignee-object-id "$OTHER" --assignee-principal-type ServicePrincipal \
    --role "/subscriptions/$SUB1/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7" \
    --scope "$G1_ID"); then
    ok "the second principal may not assign itself Reader at $G1 ($error)"
else
    fail "role assignment create as the second principal: $error"
fi

# The admin grants the custom role at $G1 and Reader on $SUB2.
created=$(az_ok role assignment create --assignee-object-id "$OTHER" --assignee-principal-type ServicePrincipal \
    --role "$CUSTOM" --scope "$G1_ID" --query '[id, scope, principalId, principalType]' -o tsv)
{ read -r custom_assignment; read -r scope; read -r principal; read -r kind; } <<<"$created" || true
{ same "$scope" "$G1_ID" && same "$principal" "$OTHER" && [[ $kind == ServicePrincipal ]]; } ||
    fail "role assignment create '$CUSTOM' at $G1 gave '$(oneline "$created")'"
ok "role assignment create gives the second principal '$CUSTOM' at $G1"
again=$(az_ok role assignment create --assignee-object-id "$OTHER" --assignee-principal-type ServicePrincipal \
    --role "$CUSTOM" --scope "$G1_ID" --query id -o tsv)
same "$again" "$custom_assignment" || fail "role assignment create again gave '$again', not '$custom_assignment'"
ok "role assignment create again returns the existing assignment (409 RoleAssignmentExists)"
RG=azrg-$SUFFIX
location=$(az_ok group create --name "$RG" --location westeurope --subscription "$SUB2" --query location -o tsv)
[[ $location == westeurope ]] || fail "group create $RG in $SUB2: location '$location'"
ok "group create $RG in $SUB2 (as the admin)"
created=$(az_ok role assignment create --assignee-object-id "$OTHER" --assignee-principal-type ServicePrincipal \
    --role Reader --scope "/subscriptions/$SUB2" --query '[id, scope]' -o tsv)
{ read -r reader_assignment; read -r scope; } <<<"$created" || true
same "$scope" "/subscriptions/$SUB2" || fail "role assignment create Reader on $SUB2 gave '$(oneline "$created")'"
ok "role assignment create gives the second principal Reader on $SUB2"

listed=$(az_ok role assignment list --scope "$G1_ID" --query '[].[principalId, roleDefinitionName, scope]' -o tsv)
contains "$listed" "$OTHER"$'\t'"$CUSTOM"$'\t'"$G1_ID" || fail "role assignment list --scope $G1_ID shows: $(oneline "$listed")"
ok "role assignment list --scope $G1 shows '$CUSTOM' by name"
listed=$(az_ok role assignment list --scope "$G2_ID" --query '[].principalId' -o tsv)
! contains "$listed" "$OTHER" || fail "role assignment list --scope $G2_ID shows the inherited assignment: $(oneline "$listed")"
listed=$(az_ok role assignment list --scope "$G2_ID" --include-inherited --query '[].[principalId, roleDefinitionName, scope]' -o tsv)
contains "$listed" "$OTHER"$'\t'"$CUSTOM"$'\t'"$G1_ID" ||
    fail "role assignment list --scope $G2_ID --include-inherited shows: $(oneline "$listed")"
grep -qiP "\tOwner\t/$" <<<"$listed" || fail "role assignment list --scope $G2_ID --include-inherited lacks Owner at /: $(oneline "$listed")"
ok "role assignment list --scope $G2 --include-inherited adds the assignments at $G1 and /"
listed=$(az_ok role assignment list --scope "/subscriptions/$SUB2" --query '[].[principalId, roleDefinitionName]' -o tsv)
contains "$listed" "$OTHER"$'\t'Reader || fail "role assignment list --scope /subscriptions/$SUB2 shows: $(oneline "$listed")"
ok "role assignment list --scope /subscriptions/$SUB2 shows Reader"

# The second principal, with the token it had before the grants.
name=$(other_ok account management-group show --name "$G1" --no-register --query name -o tsv)
same "$name" "$G1" || fail "management-group show $G1 as the second principal gave '$name'"
name=$(other_ok account management-group show --name "$G2" --no-register --query name -o tsv)
same "$name" "$G2" || fail "management-group show $G2 as the second principal gave '$name'"
[[ $(other_ok account get-access-token --query accessToken -o tsv) == "$other_token" ]] ||
    fail "the second principal's token changed"
ok "the second principal now reads $G1 and $G2 with the token it already had (no re-login)"
if error=$(other_refused account management-group show --name "$TENANT" --no-register); then
    ok "the second principal still may not read the root group ($error)"
else
    fail "management-group show $TENANT as the second principal: $error"
fi
other_subs=$(other_ok account list --refresh --query "[?id!='$TENANT'].id" -o tsv)
[[ ${other_subs,,} == "${SUB2,,}" ]] || fail "account list --refresh as the second principal: '$(oneline "$other_subs")'"
ok "account list --refresh as the second principal shows $SUB2 only"
groups=$(other_ok group list --subscription "$SUB2" --query '[].name' -o tsv)
contains "$groups" "$RG" || fail "group list --subscription $SUB2 as the second principal: '$(oneline "$groups")'"
ok "group list --subscription $SUB2 as the second principal shows $RG"
if error=$(other_refused group create --name "$RG-other" --location westeurope --subscription "$SUB2"); then
    ok "the second principal, a Reader, may not create a resource group in $SUB2 ($error)"
else
    fail "group create as the second principal: $error"
fi

# The admin deletes both assignments: the second principal is refused again.
az_ok role assignment delete --assignee-object-id "$OTHER" --role "$CUSTOM" --scope "$G1_ID" >/dev/null
listed=$(az_ok role assignment list --scope "$G1_ID" --query '[].principalId' -o tsv)
! contains "$listed" "$OTHER" || fail "role assignment delete at $G1_ID left: $(oneline "$listed")"
ok "role assignment delete --assignee-object-id --role '$CUSTOM' --scope $G1"
az_ok role assignment delete --ids "$reader_assignment" >/dev/null
listed=$(az_ok role assignment list --scope "/subscriptions/$SUB2" --query '[].principalId' -o tsv)
! contains "$listed" "$OTHER" || fail "role assignment delete --ids left: $(oneline "$listed")"
ok "role assignment delete --ids (Reader on $SUB2)"
if error=$(other_refused account management-group show --name "$G1" --no-register); then
    ok "the second principal may not read $G1 any more ($error)"
else
    fail "management-group show $G1 as the second principal after the deletes: $error"
fi
if error=$(other_refused group list --subscription "$SUB2"); then
    ok "the second principal may not list the resource groups of $SUB2 any more ($error)"
else
    fail "group list --subscription $SUB2 as the second principal after the deletes: $error"
fi

az_ok group delete --name "$RG" --subscription "$SUB2" --yes >/dev/null
[[ $(az_ok group exists --name "$RG" --subscription "$SUB2") == false ]] || fail "group delete $RG: it still exists"
ok "group delete $RG"
az_ok role definition delete --name "$CUSTOM" --scope "$G1_ID" >/dev/null
found=$(az_ok role definition list --name "$CUSTOM" --scope "$G1_ID" --query '[].roleName' -o tsv)
[[ -z $found ]] || fail "role definition delete left: $(oneline "$found")"
ok "role definition delete '$CUSTOM'"

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

# --- cost query through `az rest` (az costmanagement is an extension not on PyPI) ----------
if [[ -n ${LEITSTAND_COST_ACCOUNT:-} ]]; then
    body='{"type":"ActualCost","timeframe":"Custom","timePeriod":{"from":"2024-08-01T00:00:00Z","to":"2024-10-31T00:00:00Z"},"dataset":{"granularity":"Monthly","aggregation":{"totalCost":{"name":"PreTaxCost","function":"Sum"}}}}'
    rows=$(az_ok rest --method post \
        --url "$URL/subscriptions/$LEITSTAND_COST_ACCOUNT/providers/Microsoft.CostManagement/query?api-version=2023-03-01" \
        --body "$body" --query 'properties.rows' -o tsv)
    # The account's rows of the FOCUS 1.0 sample all fall in billing month 2024-09.
    cost=$(cut -f1 <<<"$rows")
    same "$(cut -f2- <<<"$rows")" $'2024-09-01T00:00:00\tUSD' || fail "az rest cost query answered: $(oneline "$rows")"
    python3 -c "import sys; sys.exit(0 if abs(float(sys.argv[1]) - 13.6164825497) < 1e-6 else 1)" "$cost" ||
        fail "az rest cost query: account $LEITSTAND_COST_ACCOUNT cost $cost, want 13.6164825497"
    ok "az rest POST …/Microsoft.CostManagement/query answers account $LEITSTAND_COST_ACCOUNT's monthly cost ($cost USD)"
fi

# --- budgets (az consumption budget, api-version 2023-05-01) ---------------------------------
BUDGET="az-budget-$SUFFIX"
START=$(date -u +%Y-%m-01)
END=$(date -u -d "$START + 1 year" +%Y-%m-%d)
created=$(az_ok consumption budget create --budget-name "$BUDGET" --amount 250 --category cost \
    --time-grain monthly --start-date "$START" --end-date "$END" --subscription "$SUB1" --query name -o tsv)
same "$created" "$BUDGET" || fail "consumption budget create answered $(oneline "$created")"
ok "consumption budget create makes $BUDGET on $SUB1"
listed=$(az_ok consumption budget list --subscription "$SUB1" --query '[].[name, amount, timeGrain]' -o tsv)
contains "$listed" "$BUDGET"$'\t'"250"*$'\t'"Monthly" || contains "$listed" "$BUDGET"$'\t'"250.0"$'\t'"Monthly" ||
    fail "consumption budget list shows: $(oneline "$listed")"
ok "consumption budget list shows it with its amount and time grain"
shown=$(az_ok consumption budget show --budget-name "$BUDGET" --subscription "$SUB1" --query 'currentSpend.unit' -o tsv)
ok "consumption budget show reads it (current spend unit: ${shown:-none})"
az_ok consumption budget delete --budget-name "$BUDGET" --subscription "$SUB1" >/dev/null
listed=$(az_ok consumption budget list --subscription "$SUB1" --query '[].name' -o tsv)
contains "$listed" "$BUDGET" && fail "consumption budget delete left: $(oneline "$listed")"
ok "consumption budget delete removes it"

echo "az_test.sh: all checks passed"
