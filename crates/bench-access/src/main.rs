//! `leitstand-bench-access`: Leitstand's access engine ([`leitstand_rbac::engine::AccessIndex`]) against the plain reference model and against Cedar, side by side on one world at Azure's limits.
//!
//! It generates the world from a fixed seed (`world`), builds each engine's data, checks that the engines agree on the query set, and measures single-check latency (p50, p99) and throughput on one and two threads.
//! It prints a Markdown table and one JSON line.
//!
//! - Leitstand is measured twice: with each query's scope chain computed beforehand, and with the chain walked from a parent map inside the timed check.
//! - The reference model (`reference`) scans everything, so it answers a sample of the queries.
//! - Cedar (`cedar`) gets its best model: a few policies for the role definitions and deny assignments, the assignments as entity data.
//!
//! The world has no conditions and no cyclic group nesting, because the Cedar model cannot express them; the engine's handling of both is covered by the property tests of `leitstand-rbac`.
//! Memory is read as resident set growth from `/proc/self/status` (the workspace forbids the `unsafe` a counting allocator needs), so it includes allocator slack.
//! Timing is not asserted anywhere; the one test (`tests`) checks agreement on the quick world.

mod cedar;
mod reference;
#[cfg(test)]
mod tests;
mod world;

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use leitstand_rbac::engine::{
    AccessIndex, AccessIndexBuilder, AssignmentEntry, Check, DenyEntry, Verdict,
};

use crate::cedar::CedarModel;
use crate::world::{Config, PrincipalKind, Query, ScopeKind, World};

/// The seed of the world the numbers come from.
pub const SEED: u64 = 0x1e17_57a9;

/// What an engine decides for one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    Denied,
    NotGranted,
}

/// Benchmark of Leitstand's access engine against a plain reference model and Cedar.
#[derive(Parser)]
struct Args {
    /// Builds the small world (1,000 management groups, 10,000 role assignments) instead of the full one.
    #[arg(long)]
    quick: bool,
    /// How many queries to generate and time (default: 100,000, or 10,000 with --quick).
    #[arg(long)]
    queries: Option<usize>,
    /// How many of the queries the reference model answers; it scans every assignment per check.
    #[arg(long, default_value_t = 300)]
    reference_queries: usize,
    /// The seed of the world and the queries.
    #[arg(long, default_value_t = SEED)]
    seed: u64,
    /// Seconds each throughput measurement runs at least.
    #[arg(long, default_value_t = 1.0)]
    min_seconds: f64,
    /// Measures Leitstand's engine only (for profiling).
    #[arg(long)]
    leitstand_only: bool,
    /// Measures Cedar only (for profiling).
    #[arg(long)]
    cedar_only: bool,
}

/// Builds the engine's index of a world.
pub fn build_index(world: &World) -> AccessIndex {
    let mut index = AccessIndexBuilder::default();
    for role in &world.custom_roles {
        index.upsert_role(role);
    }
    for assignment in &world.assignments {
        index.insert_assignment(AssignmentEntry::new(
            &assignment.id,
            &world.scopes[assignment.scope].id,
            &world.principals[assignment.principal].id,
            &assignment.role,
            None,
        ));
    }
    for &(group, member) in &world.memberships {
        index.add_membership(&world.principals[group].id, &world.principals[member].id);
    }
    for deny in &world.denies {
        index.insert_deny(DenyEntry::new(
            &deny.id,
            &deny.id,
            &world.scopes[deny.scope].id,
            &deny.permissions,
            &deny.principals,
            &deny.exclude_principals,
            deny.do_not_apply_to_child_scopes,
        ));
    }
    index.build()
}

/// Asks the engine one query with a given chain.
pub fn ours(index: &AccessIndex, world: &World, query: &Query, chain: &[&str]) -> Outcome {
    let action = &world.actions[query.action];
    let verdict = index.check(&Check {
        principal: &world.principals[query.principal].id,
        action: &action.name,
        data_action: action.data_action,
        chain,
        attributes: &(),
    });
    match verdict {
        Verdict::Allowed(_) => Outcome::Allowed,
        Verdict::Denied(_) => Outcome::Denied,
        Verdict::NotGranted => Outcome::NotGranted,
    }
}

/// Latency and throughput of one engine.
struct Timing {
    engine: String,
    measured: usize,
    p50_ns: f64,
    p99_ns: f64,
    /// The p50 of a check asked right after the same check: its data is in the caches.
    warm_p50_ns: f64,
    one_thread: Rate,
    two_threads: Rate,
}

/// Checks per second of wall time, and per second of CPU time the checking threads got.
///
/// On a busy machine the wall rate drops while the CPU rate stays: the CPU rate is the per-core figure.
#[derive(Clone, Copy)]
struct Rate {
    wall: f64,
    cpu: Option<f64>,
}

/// Times `check(i)` for `i` in `0..n`: each call alone for the percentiles, then back to back on one and two threads.
fn time_engine(
    engine: &str,
    n: usize,
    min_duration: Duration,
    check: impl Fn(usize) -> Outcome + Sync,
) -> Timing {
    for idx in 0..n.min(2_000) {
        black_box(check(idx));
    }
    let mut samples: Vec<u64> = Vec::with_capacity(n);
    for idx in 0..n {
        let start = Instant::now();
        black_box(check(black_box(idx)));
        samples.push(start.elapsed().as_nanos() as u64);
    }
    let mut warm: Vec<u64> = Vec::with_capacity(n);
    for idx in 0..n {
        black_box(check(black_box(idx)));
        let start = Instant::now();
        black_box(check(black_box(idx)));
        warm.push(start.elapsed().as_nanos() as u64);
    }
    samples.sort_unstable();
    warm.sort_unstable();
    let percentile =
        |list: &[u64], p: usize| list.get(list.len() * p / 100).copied().unwrap_or(0) as f64;
    Timing {
        engine: engine.to_owned(),
        measured: n,
        p50_ns: percentile(&samples, 50),
        p99_ns: percentile(&samples, 99),
        warm_p50_ns: percentile(&warm, 50),
        one_thread: throughput(n, 1, min_duration, &check),
        two_threads: throughput(n, 2, min_duration, &check),
    }
}

/// Returns the CPU time the calling thread has had, in nanoseconds, if `/proc` has it.
fn thread_cpu_ns() -> Option<u64> {
    let schedstat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    schedstat.split_whitespace().next()?.parse().ok()
}

/// Returns the rate with `threads` threads sharing the queries, repeating passes until `min_duration` has passed.
fn throughput(
    n: usize,
    threads: usize,
    min_duration: Duration,
    check: &(impl Fn(usize) -> Outcome + Sync),
) -> Rate {
    let start = Instant::now();
    let mut done = 0usize;
    let mut cpu_ns: Option<u64> = Some(0);
    loop {
        let used: Vec<Option<u64>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|thread| {
                    let range = (n * thread / threads)..(n * (thread + 1) / threads);
                    scope.spawn(move || {
                        let before = thread_cpu_ns();
                        for idx in range {
                            black_box(check(black_box(idx)));
                        }
                        Some(thread_cpu_ns()?.saturating_sub(before?))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().ok().flatten())
                .collect()
        });
        for ns in used {
            cpu_ns = cpu_ns.zip(ns).map(|(a, b)| a + b);
        }
        done += n;
        if start.elapsed() >= min_duration {
            break;
        }
    }
    Rate {
        wall: done as f64 / start.elapsed().as_secs_f64(),
        cpu: cpu_ns
            .filter(|ns| *ns > 0)
            .map(|ns| done as f64 / (ns as f64 / 1e9)),
    }
}

/// Returns the load average over the last minute, if `/proc` has it.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Returns the resident set size in KiB, if `/proc` has it.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Returns the growth of the resident set across `build`, in MiB, with what it built.
fn measure_memory<T>(build: impl FnOnce() -> T) -> (T, Option<f64>, Duration) {
    let before = rss_kib();
    let start = Instant::now();
    let built = build();
    let elapsed = start.elapsed();
    let after = rss_kib();
    let grown = before
        .zip(after)
        .map(|(b, a)| a.saturating_sub(b) as f64 / 1024.0);
    (built, grown, elapsed)
}

fn format_duration_ns(ns: f64) -> String {
    if ns >= 1_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else {
        format!("{:.2} µs", ns / 1_000.0)
    }
}

fn format_rates(rate: Rate) -> String {
    match rate.cpu {
        Some(cpu) => format!(
            "{} ({} per CPU-s)",
            format_rate(rate.wall),
            format_rate(cpu)
        ),
        None => format_rate(rate.wall),
    }
}

fn format_rate(rate: f64) -> String {
    if rate >= 1_000_000.0 {
        format!("{:.2} M/s", rate / 1_000_000.0)
    } else if rate >= 1_000.0 {
        format!("{:.1} k/s", rate / 1_000.0)
    } else {
        format!("{rate:.0} /s")
    }
}

/// How many queries two engines decided differently, with the first few.
struct Agreement {
    checked: usize,
    disagreements: usize,
    examples: Vec<String>,
}

fn agreement(
    n: usize,
    ours: impl Fn(usize) -> Outcome,
    theirs: impl Fn(usize) -> Outcome,
) -> Agreement {
    let mut res = Agreement {
        checked: n,
        disagreements: 0,
        examples: Vec::new(),
    };
    for idx in 0..n {
        let (a, b) = (ours(idx), theirs(idx));
        if a != b {
            res.disagreements += 1;
            if res.examples.len() < 5 {
                res.examples
                    .push(format!("query {idx}: ours {a:?}, theirs {b:?}"));
            }
        }
    }
    res
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("failed to {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> anyhow::Result<()> {
    let mut config = if args.quick {
        Config::quick()
    } else {
        Config::full()
    };
    if let Some(queries) = args.queries {
        config.queries = queries;
    }
    let min_duration = Duration::from_secs_f64(args.min_seconds);

    let load_before = load_average();
    let start = Instant::now();
    let world = world::generate(&config, args.seed);
    eprintln!("world generated in {:.1?}", start.elapsed());

    // The built-in roles are compiled once per process; do it before measuring the index.
    black_box(AccessIndex::default().role("8e3af657-a8ff-443c-a75c-2fe8c4bcb635"));
    let (index, index_mib, index_build) = measure_memory(|| build_index(&world));
    eprintln!("index built in {index_build:.1?}");

    let queries = &world.queries;
    // Each query's chain is its own copy, allocated together, as a request builds its chain afresh:
    // the check should not pay for reading scope ids scattered over the world.
    let chain_copies: Vec<Vec<String>> = queries
        .iter()
        .map(|q| {
            world
                .chain(q.target)
                .into_iter()
                .map(str::to_owned)
                .collect()
        })
        .collect();
    let chains: Vec<Vec<&str>> = chain_copies
        .iter()
        .map(|chain| chain.iter().map(String::as_str).collect())
        .collect();
    let n = queries.len();
    let (mut n_principals, mut n_scanned) = (0usize, 0usize);
    for query in queries {
        let principals = index.principal_and_groups(&world.principals[query.principal].id);
        n_principals += principals.len();
        n_scanned += principals
            .iter()
            .map(|p| index.assignments_of(p).count())
            .sum::<usize>();
    }
    let mean_principals = n_principals as f64 / n.max(1) as f64;
    let mean_scanned = n_scanned as f64 / n.max(1) as f64;
    eprintln!(
        "per check: {mean_principals:.1} principals, {mean_scanned:.0} role assignments to scan"
    );
    let mut timings = Vec::new();

    if args.cedar_only {
        let cedar = CedarModel::build(&world)?;
        let requests = queries
            .iter()
            .map(|q| cedar.request(&world, q))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let t = time_engine("Cedar", n, min_duration, |idx| cedar.decide(&requests[idx]));
        println!(
            "{}: p50 {} p99 {}, 1 thread {}",
            t.engine,
            format_duration_ns(t.p50_ns),
            format_duration_ns(t.p99_ns),
            format_rates(t.one_thread)
        );
        return Ok(());
    }
    timings.push(time_engine(
        "Leitstand AccessIndex, chain given",
        n,
        min_duration,
        |idx| ours(&index, &world, &queries[idx], &chains[idx]),
    ));
    timings.push(time_engine(
        "Leitstand AccessIndex, chain walked in the check",
        n,
        min_duration,
        |idx| {
            let query = &queries[idx];
            let chain = world.chain_from_parent_map(&world.scopes[query.target].id);
            ours(&index, &world, query, &chain)
        },
    ));
    eprintln!("leitstand measured");
    if args.leitstand_only {
        for t in &timings {
            println!(
                "{}: p50 {} p99 {} (warm p50 {}), 1 thread {}, 2 threads {}",
                t.engine,
                format_duration_ns(t.p50_ns),
                format_duration_ns(t.p99_ns),
                format_duration_ns(t.warm_p50_ns),
                format_rates(t.one_thread),
                format_rates(t.two_threads)
            );
        }
        return Ok(());
    }

    let n_reference = args.reference_queries.min(n);
    timings.push(time_engine(
        "reference model (scans everything)",
        n_reference,
        Duration::ZERO,
        |idx| reference::decide(&world, &queries[idx]),
    ));
    eprintln!("reference measured");

    let (cedar, cedar_mib, cedar_build) = measure_memory(|| CedarModel::build(&world));
    let cedar = cedar?;
    eprintln!("cedar built in {cedar_build:.1?}");
    let requests = queries
        .iter()
        .map(|q| cedar.request(&world, q))
        .collect::<anyhow::Result<Vec<_>>>()?;
    timings.push(time_engine(
        "Cedar 4.14, roles as policies, assignments as entity data",
        n,
        min_duration,
        |idx| cedar.decide(&requests[idx]),
    ));
    eprintln!("cedar measured");

    // Agreement, and the mix of outcomes.
    let ours_all: Vec<Outcome> = (0..n)
        .map(|idx| ours(&index, &world, &queries[idx], &chains[idx]))
        .collect();
    let walked = agreement(
        n,
        |idx| ours_all[idx],
        |idx| {
            let chain = world.chain_from_parent_map(&world.scopes[queries[idx].target].id);
            ours(&index, &world, &queries[idx], &chain)
        },
    );
    let with_cedar = agreement(n, |idx| ours_all[idx], |idx| cedar.decide(&requests[idx]));
    let with_reference = agreement(
        n_reference,
        |idx| ours_all[idx],
        |idx| reference::decide(&world, &queries[idx]),
    );
    let cedar_errors: usize = requests.iter().take(2_000).map(|r| cedar.errors(r)).sum();
    let mix = |outcome: Outcome| ours_all.iter().filter(|o| **o == outcome).count();
    let (allowed, denied, not_granted) = (
        mix(Outcome::Allowed),
        mix(Outcome::Denied),
        mix(Outcome::NotGranted),
    );

    // The report.
    let kind_count =
        |kind: PrincipalKind| world.principals.iter().filter(|p| p.kind == kind).count();
    let max_depth = world
        .scopes
        .iter()
        .filter(|s| s.kind == ScopeKind::ManagementGroup)
        .map(|s| s.depth)
        .max()
        .unwrap_or(0);
    let mean_chain = chains.iter().map(Vec::len).sum::<usize>() as f64 / n.max(1) as f64;
    println!("## Access checks: Leitstand, the reference model and Cedar on one world");
    println!();
    println!(
        "World (seed {:#x}): {} management groups below the root group (depth up to {max_depth}), {} subscriptions, {} resource groups; {} users, {} service principals, {} groups ({} memberships, nested, acyclic); {} custom roles; {} role assignments; {} deny assignments; no conditions.",
        args.seed,
        world.count_kind(ScopeKind::ManagementGroup) - 1,
        world.count_kind(ScopeKind::Subscription),
        world.count_kind(ScopeKind::ResourceGroup),
        kind_count(PrincipalKind::User),
        kind_count(PrincipalKind::ServicePrincipal),
        kind_count(PrincipalKind::Group),
        world.memberships.len(),
        world.custom_roles.len(),
        world.assignments.len(),
        world.denies.len(),
    );
    println!(
        "Queries: {n} (principal, action, scope), {} distinct actions; per check on average {mean_chain:.1} scopes in the chain, {mean_principals:.1} principals (the caller and its groups) and {mean_scanned:.0} of their role assignments; outcomes: {allowed} allowed, {denied} denied, {not_granted} not granted.",
        world.actions.len()
    );
    println!(
        "Cedar: {} policies, {} entities.",
        cedar.n_policies, cedar.n_entities
    );
    let load_after = load_average();
    println!(
        "Machine: {} cores, load average {} at the start and {} at the end; the CPU-time rates are the per-core figures on a shared machine.",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_before.map_or("n/a".to_owned(), |l| format!("{l:.1}")),
        load_after.map_or("n/a".to_owned(), |l| format!("{l:.1}")),
    );
    println!();
    println!("| engine | checks timed | p50 | p99 | p50 warm | 1 thread: checks/s (per CPU-s) | 2 threads: checks/s (per CPU-s) | p50 vs ours | ours faster (CPU-s, 1 thread) |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let ours_p50 = timings.first().map_or(1.0, |t| t.p50_ns.max(1.0));
    let cpu_rate = |rate: Rate| rate.cpu.unwrap_or(rate.wall);
    let ours_rate = timings.first().map_or(1.0, |t| cpu_rate(t.one_thread));
    for t in &timings {
        println!(
            "| {} | {} | {} | {} | {} | {} | {} | {:.1}× | {:.1}× |",
            t.engine,
            t.measured,
            format_duration_ns(t.p50_ns),
            format_duration_ns(t.p99_ns),
            format_duration_ns(t.warm_p50_ns),
            format_rates(t.one_thread),
            format_rates(t.two_threads),
            t.p50_ns / ours_p50,
            ours_rate / cpu_rate(t.one_thread),
        );
    }
    println!();
    let per_100k = |mib: Option<f64>| {
        mib.map_or("n/a".to_owned(), |m| {
            format!(
                "{:.1} MiB",
                m * 100_000.0 / world.assignments.len().max(1) as f64
            )
        })
    };
    let total = |mib: Option<f64>| mib.map_or("n/a".to_owned(), |m| format!("{m:.1} MiB"));
    println!("| data | build time | resident growth | per 100,000 assignments |");
    println!("|---|---:|---:|---:|");
    println!(
        "| Leitstand AccessIndex | {index_build:.2?} | {} | {} |",
        total(index_mib),
        per_100k(index_mib)
    );
    println!(
        "| Cedar entities and policies | {cedar_build:.2?} | {} | {} |",
        total(cedar_mib),
        per_100k(cedar_mib)
    );
    println!();
    println!(
        "Agreement: Cedar differs from Leitstand on {} of {} queries ({} evaluation errors in the first 2,000); the reference model on {} of {}; the walked chain on {} of {}.",
        with_cedar.disagreements,
        with_cedar.checked,
        cedar_errors,
        with_reference.disagreements,
        with_reference.checked,
        walked.disagreements,
        walked.checked,
    );
    for example in with_cedar
        .examples
        .iter()
        .chain(&with_reference.examples)
        .chain(&walked.examples)
    {
        println!("- {example}");
    }
    println!();

    let engines: Vec<serde_json::Value> = timings
        .iter()
        .map(|t| {
            serde_json::json!({
                "engine": t.engine,
                "measured": t.measured,
                "p50_ns": t.p50_ns,
                "p99_ns": t.p99_ns,
                "warm_p50_ns": t.warm_p50_ns,
                "checks_per_second_1_thread": t.one_thread.wall,
                "checks_per_second_2_threads": t.two_threads.wall,
                "checks_per_cpu_second_1_thread": t.one_thread.cpu,
                "checks_per_cpu_second_2_threads": t.two_threads.cpu,
            })
        })
        .collect();
    let summary = serde_json::json!({
        "seed": args.seed,
        "quick": args.quick,
        "world": {
            "management_groups": world.count_kind(ScopeKind::ManagementGroup) - 1,
            "subscriptions": world.count_kind(ScopeKind::Subscription),
            "resource_groups": world.count_kind(ScopeKind::ResourceGroup),
            "principals": world.principals.len(),
            "memberships": world.memberships.len(),
            "custom_roles": world.custom_roles.len(),
            "assignments": world.assignments.len(),
            "denies": world.denies.len(),
            "queries": n,
        },
        "outcomes": {"allowed": allowed, "denied": denied, "not_granted": not_granted},
        "engines": engines,
        "memory_mib": {"index": index_mib, "cedar": cedar_mib},
        "build_seconds": {"index": index_build.as_secs_f64(), "cedar": cedar_build.as_secs_f64()},
        "disagreements": {
            "cedar": with_cedar.disagreements,
            "reference": with_reference.disagreements,
            "walked_chain": walked.disagreements,
        },
        "cedar_policies": cedar.n_policies,
        "load_average": {"start": load_before, "end": load_after},
    });
    println!("{summary}");
    if with_cedar.disagreements + with_reference.disagreements + walked.disagreements > 0 {
        anyhow::bail!("agree: the engines disagree (see above)");
    }
    Ok(())
}
