#!/usr/bin/env bash
# The test command of Leitstand: ./test.sh [extra arguments for the test runner]
#
# On a fresh Debian machine with only Rust and Python it
#   1. installs PostgreSQL if needed (apt-get), makes sure a cluster runs on 127.0.0.1:5432 and
#      that the role and database `leitstand` (password `leitstand`, CREATEDB) exist, then exports
#      LEITSTAND_TEST_DATABASE_URL (the tests create a fresh database per test from it);
#   2. creates two separate Python virtual environments for the real-client tests
#      (.venv-sdk from tests/clients/requirements-sdk.txt, .venv-az from requirements-az.txt),
#      rebuilt only when missing or when their requirements change, and exports
#      LEITSTAND_SDK_PYTHON and LEITSTAND_AZ;
#   3. builds the S3-compatible test server s3s-fs (from crates.io, --locked, into
#      target/tools, once) and exports LEITSTAND_S3_SERVER, for the object-store tests;
#   4. runs the Rust test suite: `cargo nextest run --workspace --no-fail-fast "$@"` when
#      cargo-nextest is installed, else `cargo test --workspace "$@"`.
#
# It needs root (or password-less sudo) only for step 1, and only when something is missing.
# Works non-interactively (CI=true, no stdin).
#
# Environment:
#   LEITSTAND_SKIP_CARGO=1   stop after steps 1 and 2 (for checking the machine set-up only;
#                            never set it in CI).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=$PWD

PG_ROLE=leitstand
PG_PASSWORD=leitstand
PG_DATABASE=leitstand
PG_HOST=127.0.0.1
PG_PORT=5432

section_started=0
section() {
    echo "==> $1"
    section_started=$SECONDS
}
section_done() {
    echo "    ($1: $((SECONDS - section_started))s)"
}
die() {
    echo "test.sh: error: $*" >&2
    exit 1
}

# Runs a command as root: directly when we are root, else through password-less sudo.
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo -n "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

# Runs a command as the postgres OS user, from a directory it can read.
as_postgres() {
    if [[ $EUID -eq 0 ]] && command -v runuser >/dev/null 2>&1; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && as_root su postgres -s /bin/sh -c "$(printf '%q ' "$@")")
    fi
}

apt_install() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" </dev/null
}

pg_tcp_ok() {
    # Succeeds when the leitstand role can log in over TCP with its password and may create databases.
    local out
    out=$(PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=5 psql -X -q -t -A -w \
        -h "$PG_HOST" -p "$PG_PORT" -U "$PG_ROLE" -d "$PG_DATABASE" \
        -c 'SELECT rolcreatedb FROM pg_roles WHERE rolname = current_user' 2>/dev/null) || return 1
    [[ $out == t ]]
}

# ---------------------------------------------------------------------------------------------
section postgres

have_pg_server() {
    compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null && command -v pg_ctlcluster >/dev/null 2>&1
}

if command -v psql >/dev/null 2>&1 && pg_tcp_ok; then
    echo "    already running on $PG_HOST:$PG_PORT with role and database '$PG_DATABASE'"
else
    if ! have_pg_server; then
        echo "    installing the Debian postgresql package"
        apt_install postgresql
        have_pg_server || die "postgresql installed, but no /usr/lib/postgresql/*/bin/postgres or pg_ctlcluster"
    fi

    # The cluster that owns port 5432, if any: "version name status".
    cluster=$(pg_lsclusters --no-header | awk -v port="$PG_PORT" '$3 == port { print $1, $2, $4; exit }')
    if [[ -z $cluster ]]; then
        pg_version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -type d -printf "%f\n" | sort -V | tail -n 1)
        if pg_lsclusters --no-header | awk '$2 == "main" { found = 1 } END { exit !found }'; then
            cluster_name=leitstand
        else
            cluster_name=main
        fi
        echo "    creating cluster $pg_version/$cluster_name on port $PG_PORT"
        as_root pg_createcluster --port "$PG_PORT" "$pg_version" "$cluster_name" >/dev/null
        cluster="$pg_version $cluster_name down"
    fi
    read -r pg_version cluster_name cluster_status <<<"$cluster"
    if [[ $cluster_status != online* ]]; then
        echo "    starting cluster $pg_version/$cluster_name"
        as_root pg_ctlcluster "$pg_version" "$cluster_name" start
    fi

    # Wait until the server accepts connections (a fresh start can take a moment).
    for _ in $(seq 1 30); do
        if as_postgres psql -X -q -p "$PG_PORT" -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
            break
        fi
        sleep 1
    done
    as_postgres psql -X -q -p "$PG_PORT" -d postgres -c 'SELECT 1' >/dev/null ||
        die "cluster $pg_version/$cluster_name does not accept connections (see /var/log/postgresql/)"

    as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres >/dev/null <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
        CREATE ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
    ELSE
        ALTER ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
    END IF;
END
\$\$;
SQL
    if [[ $(as_postgres psql -X -q -t -A -p "$PG_PORT" -d postgres \
        -c "SELECT count(*) FROM pg_database WHERE datname = '$PG_DATABASE'") != 1 ]]; then
        as_postgres createdb -p "$PG_PORT" -O "$PG_ROLE" "$PG_DATABASE"
    fi

    if ! pg_tcp_ok; then
        PGPASSWORD=$PG_PASSWORD psql -X -w -h "$PG_HOST" -p "$PG_PORT" -U "$PG_ROLE" -d "$PG_DATABASE" -c 'SELECT 1' || true
        die "cannot log in to postgres://$PG_ROLE@$PG_HOST:$PG_PORT/$PG_DATABASE with a password over TCP (check listen_addresses and pg_hba.conf of cluster $pg_version/$cluster_name)"
    fi
    echo "    cluster $pg_version/$cluster_name ready on $PG_HOST:$PG_PORT"
fi
export LEITSTAND_TEST_DATABASE_URL="postgres://$PG_ROLE:$PG_PASSWORD@$PG_HOST:$PG_PORT/$PG_DATABASE"
section_done postgres

# ---------------------------------------------------------------------------------------------
# The S3 test server builds in the background while the Python environments install.
S3S_VERSION=0.14.1
S3S_ROOT=$ROOT/target/tools/s3s-fs-$S3S_VERSION
export LEITSTAND_S3_SERVER=$S3S_ROOT/bin/s3s-fs
s3s_pid=
if [[ ${LEITSTAND_SKIP_CARGO:-} != 1 && ! -x $LEITSTAND_S3_SERVER ]]; then
    mkdir -p "$ROOT/target"
    (cargo install s3s-fs --version "$S3S_VERSION" --features binary --locked --quiet \
        --root "$S3S_ROOT" --target-dir "$ROOT/target/tools/build" >"$ROOT/target/s3s-fs-install.log" 2>&1 &&
        rm -rf "$ROOT/target/tools/build") &
    s3s_pid=$!
fi

# ---------------------------------------------------------------------------------------------
section python

if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    echo "    installing python3-venv"
    apt_install python3-venv
fi

# Creates the virtual environment $1 from the requirements file $2 unless its stamp matches.
# The stamp records the interpreter and the requirements, so changing either rebuilds it.
# Prints nothing but a status line; the pip log goes to $1.log and is shown on failure.
ensure_venv() {
    local venv=$1 requirements=$2 stamp="$1/.leitstand-stamp" expected
    expected="$(python3 -c 'import sys; print(sys.executable, sys.version.split()[0])')
$(cat "$requirements")"
    if [[ -f $stamp && $(cat "$stamp") == "$expected" && -x $venv/bin/python ]]; then
        echo "    $venv up to date"
        return 0
    fi
    local started=$SECONDS
    rm -rf "$venv"
    python3 -m venv "$venv"
    if ! "$venv/bin/python" -m pip install --disable-pip-version-check -q --no-input \
        -r "$requirements" >"$venv.log" 2>&1; then
        cat "$venv.log" >&2
        echo "test.sh: error: pip install -r $requirements failed" >&2
        return 1
    fi
    printf '%s\n' "$expected" >"$stamp"
    rm -f "$venv.log"
    echo "    $venv installed from $requirements in $((SECONDS - started))s"
}

# The two environments are independent: build them side by side.
ensure_venv .venv-sdk tests/clients/requirements-sdk.txt &
sdk_pid=$!
ensure_venv .venv-az tests/clients/requirements-az.txt &
az_pid=$!
venv_failed=0
wait "$sdk_pid" || venv_failed=1
wait "$az_pid" || venv_failed=1
[[ $venv_failed -eq 0 ]] || die "could not set up the Python virtual environments"

export LEITSTAND_SDK_PYTHON="$ROOT/.venv-sdk/bin/python"
export LEITSTAND_AZ="$ROOT/.venv-az/bin/az"
"$LEITSTAND_SDK_PYTHON" -c 'import azure.identity, azure.mgmt.authorization, azure.mgmt.managementgroups, azure.mgmt.resource.resources, azure.mgmt.monitor' ||
    die "$LEITSTAND_SDK_PYTHON cannot import the Azure SDKs"
[[ -x $LEITSTAND_AZ ]] || die "$LEITSTAND_AZ missing"
section_done python

# ---------------------------------------------------------------------------------------------
if [[ ${LEITSTAND_SKIP_CARGO:-} == 1 ]]; then
    echo "==> cargo tests skipped (LEITSTAND_SKIP_CARGO=1)"
    exit 0
fi

section "s3 test server"
if [[ -n $s3s_pid ]]; then
    if ! wait "$s3s_pid"; then
        cat "$ROOT/target/s3s-fs-install.log" >&2 || true
        die "could not build s3s-fs $S3S_VERSION"
    fi
    echo "    built s3s-fs $S3S_VERSION"
else
    echo "    s3s-fs $S3S_VERSION already built"
fi
[[ -x $LEITSTAND_S3_SERVER ]] || die "$LEITSTAND_S3_SERVER missing"
section_done "s3 test server"

section "cargo tests"
status=0
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast "$@" || status=$?
else
    cargo test --workspace "$@" || status=$?
fi
section_done "cargo tests"
exit "$status"
