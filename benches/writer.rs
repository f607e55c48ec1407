//! Ingest writer benchmark:
//! `cargo bench --bench writer [-- --writers N --events E --ids sequential|random]`.
//!
//! Drives the group-committing writer alone, without HTTP or signature checks: N tasks each hand
//! it one event at a time (as N open connections would), until E events are stored in a fresh
//! database. Prints events/s and the CPU time the writer, flush and checkpoint threads spent per
//! event, which is steadier from run to run than the end-to-end figures of `--bench ingest`.
//! Method and latest figures: docs/benchmarks.md.

mod common;

use app::live::Live;
use app::relay::Relay;
use app::workflow::Workflow;
use moddesk::ingest::event;
use moddesk::ingest::writer::Writer;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The unit of the CPU times in `/proc/<pid>/task/<tid>/stat` (`sysconf(_SC_CLK_TCK)`), 100 on
/// Linux.
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

struct Options {
    writers: usize,
    events: u64,
    random_ids: bool,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| common::flag(&args, name);
    let options = Options {
        writers: flag("--writers").map_or(64, |v| v.parse().expect("--writers N")),
        events: flag("--events").map_or(100_000, |v| v.parse().expect("--events E")),
        random_ids: flag("--ids").is_some_and(|v| v == "random"),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(options));
}

async fn run(options: Options) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("writer.db");
    let pool = moddesk::db::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let writer = Writer::spawn(
        &path,
        Relay::new(Vec::new()),
        Workflow::default(),
        Live::new(),
    )
    .unwrap();
    let bodies = Arc::new(bodies(&options));

    let before = thread_cpu();
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..options.writers)
        .map(|_| {
            let (writer, bodies, next) = (writer.clone(), bodies.clone(), next.clone());
            tokio::spawn(async move {
                while let Some(body) = bodies.get(next.fetch_add(1, Ordering::Relaxed) as usize) {
                    let event =
                        event::parse(body.as_bytes(), "msg_bench", app::store::now_ms()).unwrap();
                    writer.record(event).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let after = thread_cpu();

    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored as u64, options.events, "every event is stored");
    let per_event = |name: &str| {
        let spent = after.get(name).copied().unwrap_or(0) - before.get(name).copied().unwrap_or(0);
        spent as f64 * 1e6 / CLOCK_TICKS_PER_SECOND / options.events as f64
    };
    println!(
        "| writers | ids | events | events/s | CPU µs/event: writer | flush | checkpoint |\n\
         |---:|---|---:|---:|---:|---:|---:|\n\
         | {} | {} | {} | {:.0} | {:.1} | {:.1} | {:.1} |",
        options.writers,
        if options.random_ids {
            "random"
        } else {
            "sequential"
        },
        options.events,
        options.events as f64 / elapsed,
        per_event("ingest-writer"),
        per_event("ingest-flush"),
        per_event("ingest-checkpt"),
    );
}

/// 1 KB `moderation.review` bodies, each for its own reference id. Sequential ids count up;
/// random ids are UUIDs, as a sender that does not order its ids would send.
fn bodies(options: &Options) -> Vec<String> {
    (0..options.events)
        .map(|n| {
            let key = if options.random_ids {
                uuid::Uuid::new_v4().simple().to_string()
            } else {
                format!("{n:012}")
            };
            common::review_event(&format!("evt_{key}"), &format!("ref_{key}"))
        })
        .collect()
}

/// CPU time (user + system, in clock ticks) of this process's threads, summed by thread name.
fn thread_cpu() -> std::collections::HashMap<String, u64> {
    let mut by_name = std::collections::HashMap::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let name = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // Fields after the parenthesised name: state is the first, utime the 12th, stime the 13th.
        let Some(rest) = stat.rsplit(')').next() else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let field = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok());
        let ticks = field(11).unwrap_or(0) + field(12).unwrap_or(0);
        *by_name.entry(name.trim().to_owned()).or_insert(0) += ticks;
    }
    by_name
}
