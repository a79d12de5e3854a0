#!/usr/bin/env python3
"""Cost ingest and roll-ups: Leitstand beside DuckDB on the same generated FOCUS files.

Run through scripts/bench-costs.sh, which builds the release binary and the venv first:

    scripts/bench-costs.sh [--rows N] [--dir /tmp/costbench] [--keep-files]

Steps, all in this one run:
  1. `leitstand dev gen-focus` writes N rows as CSV and as Parquet (same seed, same rows).
  2. A hierarchy matching the generated sub-accounts: a tenant with two management groups under
     its root (bench-azure, bench-aws), one group per customer (billing account) below those,
     and every generated subscription / AWS account in its customer's group. The groups are
     created through the HTTP API (a server runs for that step only), the subscriptions with
     `leitstand subscription create`.
  3. Ingest: `leitstand cost ingest` of the CSV and of the Parquet file (each into a fresh copy
     of the data directory with the hierarchy), beside DuckDB's
     `CREATE TABLE focus AS SELECT * FROM read_csv(...)` / `read_parquet(...)` into a database file.
  4. Roll-ups: `leitstand cost query` (SQLite daily aggregates) beside DuckDB SQL straight from
     the CSV, from the Parquet file and from the loaded table. Every answer is compared to the
     cent (billed cost per bucket, group and currency) before its time counts.

Every measurement is its own process; its wall time and peak RSS (wait4's ru_maxrss) are
reported. DuckDB runs with 2 threads; its processes are a Python interpreter (about 30 MB of
their RSS). Times for DuckDB are the SQL statement's alone (no interpreter start); Leitstand's
are the whole CLI process (start, opening the database, printing).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal

ROWS_DEFAULT = 10_000_000
START = "2026-01-01"
QUERY_FROM = "2025-12-01"
QUERY_TO = "2027-12-31"
MG = "/providers/Microsoft.Management/managementGroups/"
COST_TYPES = {
    c: "DECIMAL(18,10)"
    for c in [
        "BilledCost",
        "EffectiveCost",
        "ListCost",
        "ContractedCost",
    ]
}
# Ids stay text (DuckDB's sniffer would read an all-digit column as a number).
TEXT_TYPES = {c: "VARCHAR" for c in ["BillingAccountId", "SubAccountId"]}
CENT = Decimal("0.01")


# ---------------------------------------------------------------------------------------------
# Processes


def measured(cmd, env=None, stdin=None):
    """Runs a command; returns (seconds, peak RSS in MiB, stdout text). Fails loudly."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, stdin=stdin)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode()
        if proc.returncode != 0:
            sys.stderr.write(err.read().decode()[-4000:])
            raise SystemExit(f"failed ({proc.returncode}): {' '.join(map(str, cmd))}")
        return seconds, usage.ru_maxrss / 1024, stdout


def cli(args, data, *rest):
    cmd = [args.bin, "--data", data, "--output", "json", *rest]
    return json.loads(measured(cmd)[2])


def load_average():
    return os.getloadavg()[0]


# ---------------------------------------------------------------------------------------------
# DuckDB, each statement in a fresh process


DUCK_WORKER = r"""
import json, sys, time
from decimal import Decimal
import duckdb
spec = json.loads(sys.argv[1])
con = duckdb.connect(spec.get("db") or ":memory:")
con.execute("SET threads = 2")
con.execute("SET TimeZone = 'UTC'")
con.execute("SET preserve_insertion_order = false")
con.execute("SET enable_progress_bar = false")
for s in spec.get("setup", []):
    con.execute(s)
started = time.perf_counter()
rows = con.execute(spec["sql"]).fetchall()
seconds = time.perf_counter() - started
def text(v):
    return str(v) if isinstance(v, Decimal) else v
print(json.dumps({"seconds": seconds, "rows": [[text(v) for v in r] for r in rows]}))
"""


def duck(args, sql, db=None, setup=()):
    """Runs one DuckDB statement in its own process: (seconds, peak RSS MiB, rows)."""
    spec = json.dumps({"sql": sql, "db": db, "setup": list(setup)})
    _, rss, out = measured([args.python, "-c", DUCK_WORKER, spec])
    answer = json.loads(out.strip().splitlines()[-1])
    return answer["seconds"], rss, answer["rows"]


def csv_source(path):
    types = ", ".join(f"'{c}': '{t}'" for c, t in {**COST_TYPES, **TEXT_TYPES}.items())
    return f"read_csv('{path}', types = {{{types}}})"


def parquet_source(path):
    return f"read_parquet('{path}')"


# ---------------------------------------------------------------------------------------------
# Files and hierarchy


def generate(args, rows):
    """Writes (or reuses) the CSV and Parquet files of `rows` rows."""
    files = {}
    for fmt in ("csv", "parquet"):
        path = os.path.join(args.dir, f"focus-{rows}.{fmt}")
        done = path + ".done"
        if not (os.path.exists(path) and os.path.exists(done)):
            seconds, _, _ = measured(
                [args.bin, "--output", "json", "dev", "gen-focus", "--rows", str(rows),
                 "--out", path, "--start", START]
            )
            open(done, "w").close()
            print(f"  generated {path} in {seconds:.1f} s ({os.path.getsize(path) / 2**30:.2f} GiB)",
                  flush=True)
        files[fmt] = path
    return files


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_hierarchy(args, files, data):
    """Makes a tenant whose hierarchy holds every generated sub-account; returns
    (tenant, {sub-account key: (top group, customer group)})."""
    _, _, rows = duck(
        args,
        f"SELECT DISTINCT BillingAccountId, lower(SubAccountId), ProviderName "
        f"FROM {parquet_source(files['parquet'])} WHERE SubAccountId IS NOT NULL ORDER BY 1, 2",
    )
    tenant = cli(args, data, "tenant", "create", "--display-name", "Cost bench")["id"]
    sp = cli(args, data, "sp", "create", "--tenant", tenant, "--name", "bench-admin",
             "--global-admin")
    cli(args, data, "role", "assign", "--tenant", tenant, "--principal", sp["objectId"],
        "--role", "Owner", "--scope", "/")
    token = subprocess.run(
        [args.bin, "--data", data, "token", "issue", "--tenant", tenant, "--principal",
         sp["objectId"]], check=True, capture_output=True, text=True).stdout.strip()
    port = free_port()
    log = open(os.path.join(data, "server.log"), "w")
    server = subprocess.Popen(
        [args.bin, "--data", data, "serve", "--listen", f"127.0.0.1:{port}"],
        stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)

        def put_group(group, parent):
            body = json.dumps({"properties": {"displayName": group, "details": {
                "parent": {"id": MG + parent}}}}).encode()
            request = urllib.request.Request(
                f"{base}{MG}{group}?api-version=2021-04-01", data=body, method="PUT",
                headers={"authorization": f"Bearer {token}", "content-type": "application/json"})
            urllib.request.urlopen(request, timeout=30).read()

        mapping = {}
        customers = {}
        for account, sub, provider in rows:
            top = "bench-aws" if len(sub) == 12 and sub.isdigit() else "bench-azure"
            customers.setdefault(account, top)
            mapping[sub] = (top, f"cust-{account}")
        for top in sorted(set(customers.values())):
            put_group(top, tenant)
        for account, top in customers.items():
            put_group(f"cust-{account}", top)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait()
    for sub, (_, group) in mapping.items():
        cli(args, data, "subscription", "create", "--tenant", tenant, "--display-name",
            f"sub-{sub}"[:60], "--id", sub, "--management-group", group)
    return tenant, mapping


# ---------------------------------------------------------------------------------------------
# Roll-ups


def roll_ups(mapping):
    """The roll-ups: (name, leitstand query args, DuckDB SQL over {src}, key width)."""
    values = ", ".join(f"('{sub}', '{top}', '{group}')" for sub, (top, group) in mapping.items())
    tops = sorted({top for top, _ in mapping.values()})
    top = "bench-azure" if "bench-azure" in tops else tops[0]
    first_sub = sorted(s for s, (t, _) in mapping.items() if t == top)[0]
    mapped = (f"WITH m(sub, top, grp) AS (VALUES {values}) ")
    day = "strftime(CAST(ChargePeriodStart AS DATE), '%Y-%m-%d')"
    month = "strftime(BillingPeriodStart, '%Y-%m')"
    sub = "lower(coalesce(SubAccountId, ''))"
    sums = "BillingCurrency, SUM(BilledCost)"
    return [
        ("by day and service at /",
         ["--scope", "/", "--granularity", "daily", "--group-by", "ServiceName"],
         f"SELECT {day}, coalesce(ServiceName, ''), {sums} FROM {{src}} GROUP BY ALL"),
        ("by day and management group at /",
         ["--scope", "/", "--granularity", "daily", "--group-by", "ChildScope"],
         mapped + f"SELECT {day}, coalesce('{MG}' || m.top, '(unmapped)'), {sums} "
         f"FROM {{src}} f LEFT JOIN m ON m.sub = {sub} GROUP BY ALL"),
        ("by tag costCenter at /",
         ["--scope", "/", "--group-by", "tag:costCenter"],
         f"SELECT coalesce(json_extract_string(Tags, '$.costCenter'), ''), {sums} "
         f"FROM {{src}} GROUP BY ALL"),
        ("month totals per customer at /",
         ["--scope", "/", "--granularity", "monthly", "--group-by", "BillingAccountId"],
         f"SELECT {month}, BillingAccountId, {sums} FROM {{src}} GROUP BY ALL"),
        (f"month totals per customer group at group {top}",
         ["--scope", MG + top, "--granularity", "monthly", "--group-by", "ChildScope"],
         mapped + f"SELECT {month}, '{MG}' || m.grp, {sums} "
         f"FROM {{src}} f JOIN m ON m.sub = {sub} WHERE m.top = '{top}' GROUP BY ALL"),
        ("month totals per subscription at /",
         ["--scope", "/", "--granularity", "monthly", "--group-by", "SubscriptionId"],
         f"SELECT {month}, {sub}, {sums} FROM {{src}} GROUP BY ALL"),
        ("by day and service at one subscription",
         ["--scope", f"/subscriptions/{first_sub}", "--granularity", "daily", "--group-by",
          "ServiceName"],
         f"SELECT {day}, coalesce(ServiceName, ''), {sums} FROM {{src}} "
         f"WHERE {sub} = '{first_sub}' GROUP BY ALL"),
    ]


def leitstand_answer(rows, group_by):
    out = {}
    for r in rows:
        key = (r.get("date", ""), r.get(group_by, ""), r["currency"])
        out[key] = Decimal(r["billedCost"]).quantize(CENT)
    return out


def duck_answer(rows, dated):
    out = {}
    for r in rows:
        if dated:
            key = (r[0], r[1], r[2])
            value = r[3]
        else:
            key = ("", r[0], r[1])
            value = r[2]
        if value is None:
            continue
        out[key] = Decimal(value).quantize(CENT)
    return out


def compare(name, left, right):
    if left == right:
        return True
    only_left = sorted(set(left) - set(right))[:3]
    only_right = sorted(set(right) - set(left))[:3]
    differ = [(k, left[k], right[k]) for k in sorted(set(left) & set(right)) if left[k] != right[k]][:3]
    print(f"  MISMATCH {name}: {len(left)} vs {len(right)} groups; only Leitstand {only_left}; "
          f"only DuckDB {only_right}; differ {differ}", flush=True)
    return False


# ---------------------------------------------------------------------------------------------
# Main


def rate(rows, seconds):
    return rows / seconds if seconds > 0 else float("inf")


def fmt_rate(r):
    return f"{r / 1e6:.2f}M/s"


def run(args, rows):
    print(f"== {rows:,} rows (load {load_average():.2f})", flush=True)
    files = generate(args, rows)
    work = os.path.join(args.dir, f"run-{rows}")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    base = os.path.join(work, "base")
    os.makedirs(base)
    tenant, mapping = build_hierarchy(args, files, base)
    print(f"  hierarchy: {len(mapping)} sub-accounts in "
          f"{len({g for _, g in mapping.values()})} customer groups", flush=True)
    results = []
    ok = True

    # Ingest.
    for fmt in ("csv", "parquet"):
        data = os.path.join(work, f"leitstand-{fmt}")
        shutil.copytree(base, data)
        load = load_average()
        seconds, rss, out = measured(
            [args.bin, "--data", data, "--output", "json", "cost", "ingest", "--tenant", tenant,
             files[fmt]])
        loads = json.loads(out)
        daily = sum(l["dailyRows"] for l in loads)
        n = sum(l["rows"] for l in loads)
        if n != rows:
            print(f"  MISMATCH ingest {fmt}: {n} rows", flush=True)
            ok = False
        db = os.path.join(work, f"duck-{fmt}.db")
        source = csv_source(files[fmt]) if fmt == "csv" else parquet_source(files[fmt])
        d_seconds, d_rss, _ = duck(args, f"CREATE TABLE focus AS SELECT * FROM {source}", db=db)
        _, _, count = duck(args, "SELECT count(*) FROM focus", db=db)
        if count[0][0] != rows:
            print(f"  MISMATCH DuckDB load {fmt}: {count[0][0]} rows", flush=True)
            ok = False
        results.append((f"ingest {fmt.upper()}", rows, seconds, rss, d_seconds, d_rss, load,
                        f"{len(loads)} loads, {daily:,} daily rows"))
        print(f"  ingest {fmt}: Leitstand {seconds:.1f} s {rss:.0f} MiB, "
              f"DuckDB {d_seconds:.1f} s {d_rss:.0f} MiB ({len(loads)} loads, {daily:,} daily rows)",
              flush=True)
    # Roll-ups, Leitstand on the Parquet ingest's database.
    data = os.path.join(work, "leitstand-parquet")
    for name, query_args, sql in roll_ups(mapping):
        group_by = query_args[query_args.index("--group-by") + 1]
        dated = "--granularity" in query_args
        load = load_average()
        seconds, rss, out = measured(
            [args.bin, "--data", data, "--output", "json", "cost", "query", "--tenant", tenant,
             "--from", QUERY_FROM, "--to", QUERY_TO, *query_args])
        mine = leitstand_answer(json.loads(out), group_by)
        for label, src, db in (
            ("CSV file", csv_source(files["csv"]), None),
            ("Parquet file", parquet_source(files["parquet"]), None),
            ("table", "focus", os.path.join(work, "duck-parquet.db")),
        ):
            d_seconds, d_rss, d_rows = duck(args, sql.replace("{src}", src), db=db)
            same = compare(f"{name} vs DuckDB {label}", mine, duck_answer(d_rows, dated))
            ok = ok and same
            results.append((f"{name} (DuckDB from {label})", rows, seconds, rss, d_seconds, d_rss,
                            load, f"{len(mine)} groups{'' if same else ', ANSWERS DIFFER'}"))
            print(f"  {name}: Leitstand {seconds:.2f} s, DuckDB {label} {d_seconds:.2f} s "
                  f"({len(mine)} groups, {'same' if same else 'DIFFERENT'})", flush=True)
    return results, ok


def print_table(rows, results):
    print()
    print(f"### {rows:,} rows")
    print()
    print("| line | Leitstand rows/s | DuckDB rows/s | Leitstand/DuckDB | peak RSS Leitstand / DuckDB "
          "| load | |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, n, seconds, rss, d_seconds, d_rss, load, note in results:
        mine, theirs = rate(n, seconds), rate(n, d_seconds)
        print(f"| {name} | {fmt_rate(mine)} ({seconds:.2f} s) | {fmt_rate(theirs)} "
              f"({d_seconds:.2f} s) | {mine / theirs:.2f} | {rss:.0f} / {d_rss:.0f} MiB "
              f"| {load:.1f} | {note} |")
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append",
                        help=f"rows to generate (repeatable; default {ROWS_DEFAULT:,})")
    parser.add_argument("--dir", default="/tmp/costbench")
    parser.add_argument("--bin", required=True, help="the leitstand release binary")
    parser.add_argument("--python", default=sys.executable, help="a Python with duckdb")
    parser.add_argument("--keep-files", action="store_true",
                        help="keep the generated files and databases")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    import duckdb  # noqa: F401  (fail early without the venv)
    print(f"duckdb {duckdb.__version__}, {os.cpu_count()} CPUs, load {load_average():.2f}")
    all_ok = True
    tables = []
    for rows in args.rows or [ROWS_DEFAULT]:
        results, ok = run(args, rows)
        tables.append((rows, results))
        all_ok = all_ok and ok
        if not args.keep_files:
            shutil.rmtree(os.path.join(args.dir, f"run-{rows}"), ignore_errors=True)
            for fmt in ("csv", "parquet"):
                for suffix in ("", ".done"):
                    path = os.path.join(args.dir, f"focus-{rows}.{fmt}{suffix}")
                    if os.path.exists(path):
                        os.remove(path)
    for rows, results in tables:
        print_table(rows, results)
    if not all_ok:
        raise SystemExit("some answers differ: the numbers above compare different results")


if __name__ == "__main__":
    main()
