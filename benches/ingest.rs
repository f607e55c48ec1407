//! Ingest load benchmark: `cargo bench --bench ingest [-- --connections N --seconds S]`.
//!
//! Starts three receivers on loopback and drives each with the same load of signed 1 KB events:
//! moddesk itself (release build, fresh database), a bare axum handler that only answers 200
//! (the ceiling of this machine), and the Python reference receiver in `bench/`. For each it
//! prints events/s with N connections sending back to back, and p50/p99 latency at a fixed
//! 2,000 events/s. Method and latest figures: docs/benchmarks.md.

use hdrhistogram::Histogram;
use moddesk::ingest::signature::{WebhookSecret, sign};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const FIXED_RATE: u64 = 2_000;

/// Builds the command that starts a receiver on the given port.
type Launcher<'a> = Box<dyn Fn(u16) -> Command + 'a>;

struct Options {
    connections: usize,
    seconds: u64,
}

struct Figures {
    events_per_sec: f64,
    closed_p50_ms: f64,
    closed_p99_ms: f64,
    fixed_rate: f64,
    fixed_p50_ms: f64,
    fixed_p99_ms: f64,
    errors: u64,
}

struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(port) = flag(&args, "--bare-server") {
        return bare_server(port.parse().expect("--bare-server PORT"));
    }
    let options = Options {
        connections: flag(&args, "--connections")
            .map_or(32, |v| v.parse().expect("--connections N")),
        seconds: flag(&args, "--seconds").map_or(5, |v| v.parse().expect("--seconds S")),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(options));
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// The ceiling: an axum handler that reads the body and answers 200, in its own process.
fn bare_server(port: u16) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let app = axum::Router::new().route(
            "/hooks/aegis",
            axum::routing::post(|_body: axum::body::Bytes| async { "ok" }),
        );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        axum::serve(listener, app).await.unwrap();
    });
}

async fn run(options: Options) {
    let dir = tempfile::tempdir().unwrap();
    let python = std::env::var("MODDESK_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    println!(
        "ingest benchmark: {} connections, {} s per phase, 1 KB signed events, loopback\n",
        options.connections, options.seconds
    );

    let targets: Vec<(&str, Launcher)> = vec![
        (
            "bare axum handler",
            Box::new(|port| {
                let mut c = Command::new(std::env::current_exe().unwrap());
                c.args(["--bare-server", &port.to_string()]);
                c
            }),
        ),
        (
            "moddesk",
            Box::new(|port| {
                let mut c = Command::new(env!("CARGO_BIN_EXE_moddesk"));
                c.arg("serve")
                    .env(
                        "MODDESK_DATABASE_URL",
                        format!("sqlite://{}/moddesk.db", dir.path().display()),
                    )
                    .env("MODDESK_LISTEN", format!("127.0.0.1:{port}"))
                    .env("MODDESK_WEBHOOK_SECRET", SECRET)
                    .env("RUST_LOG", "warn");
                c
            }),
        ),
        (
            "Python reference receiver",
            Box::new(|port| {
                let mut c = Command::new(&python);
                c.arg(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/bench/reference_receiver.py"
                ))
                .args([SECRET, &port.to_string()])
                .arg(dir.path().join("reference.db"));
                c
            }),
        ),
    ];

    let args: Vec<String> = std::env::args().collect();
    if let Some(port) = flag(&args, "--port") {
        // Measure a receiver that is already running (for profiling it).
        let figures = measure(port.parse().expect("--port PORT"), &options, "external").await;
        rows_table(&options, &[("external receiver", figures)]);
        return;
    }
    let only = flag(&args, "--only").map(str::to_owned);
    let mut rows = Vec::new();
    for (name, command) in &targets {
        if only.as_deref().is_some_and(|o| !name.starts_with(o)) {
            continue;
        }
        let port = free_port();
        let child = command(port)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let _guard = Guard(child);
        wait_until_listening(port).await;
        let figures = measure(port, &options, name).await;
        rows.push((*name, figures));
    }

    rows_table(&options, &rows);
    let bare = rows
        .iter()
        .find(|(n, _)| *n == "bare axum handler")
        .map(|(_, f)| f.events_per_sec);
    let moddesk = rows
        .iter()
        .find(|(n, _)| *n == "moddesk")
        .map(|(_, f)| f.events_per_sec);
    if let (Some(bare), Some(moddesk)) = (bare, moddesk) {
        println!(
            "\nmoddesk reaches {:.2}x the bare handler's throughput.",
            moddesk / bare
        );
    }
}

fn rows_table(options: &Options, rows: &[(&str, Figures)]) {
    println!(
        "| receiver | events/s ({} conns) | p50 ms | p99 ms | at {} ev/s: achieved | p50 ms | p99 ms | errors |",
        options.connections, FIXED_RATE
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (name, f) in rows {
        println!(
            "| {name} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {} |",
            f.events_per_sec,
            f.closed_p50_ms,
            f.closed_p99_ms,
            f.fixed_rate,
            f.fixed_p50_ms,
            f.fixed_p99_ms,
            f.errors
        );
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_until_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("receiver on port {port} did not start");
}

/// A signed delivery: (id, timestamp, signature, body) of about 1 KB.
fn delivery(secret: &WebhookSecret, run: &str, n: u64) -> (String, String, String, String) {
    let id = format!("evt_{run}_{n}");
    let padding = "x".repeat(620);
    let body = serde_json::json!({
        "id": id,
        "type": "moderation.review",
        "created_at": "2026-12-03T12:00:00Z",
        "data": {
            "reference_id": format!("ref_{run}_{n}"),
            "score": 0.73,
            "action": "review",
            "categories": [{"name": "harassment", "score": 0.73}, {"name": "spam", "score": 0.11}],
            "content": {"kind": "comment", "excerpt": padding, "url": "https://example.invalid/c/1"},
            "subject": "user_bench"
        }
    })
    .to_string();
    let ts = time::OffsetDateTime::now_utc().unix_timestamp();
    let signature = sign(secret, &id, ts, body.as_bytes());
    (id, ts.to_string(), signature, body)
}

async fn post(client: &reqwest::Client, url: &str, d: (String, String, String, String)) -> bool {
    let (id, ts, signature, body) = d;
    let reply = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts)
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    matches!(reply, Ok(r) if r.status().is_success())
}

async fn measure(port: u16, options: &Options, name: &str) -> Figures {
    let url = Arc::new(format!("http://127.0.0.1:{port}/hooks/aegis"));
    let secret = Arc::new(WebhookSecret::parse(SECRET).unwrap());
    let run = name.split(' ').next().unwrap_or("x").to_owned();
    let counter = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));

    // Warm up, then closed loop: every connection sends its next event as soon as one returns.
    let closed = Arc::new(Mutex::new(histogram()));
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..options.connections)
        .map(|_| {
            let (url, secret, counter, errors, closed, run) = (
                url.clone(),
                secret.clone(),
                counter.clone(),
                errors.clone(),
                closed.clone(),
                run.clone(),
            );
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .unwrap();
                let mut local = histogram();
                while Instant::now() < deadline {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let d = delivery(&secret, &run, n);
                    let t = Instant::now();
                    if post(&client, &url, d).await {
                        local.record(t.elapsed().as_micros() as u64).ok();
                    } else {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
                closed.lock().await.add(local).ok();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let closed = closed.lock().await.clone();

    // Open loop at a fixed rate: requests start on schedule, whether or not earlier ones returned.
    let fixed = Arc::new(Mutex::new(histogram()));
    let client = reqwest::Client::new();
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / FIXED_RATE));
    let total = FIXED_RATE * options.seconds;
    let started_fixed = Instant::now();
    let mut inflight = Vec::with_capacity(total as usize);
    for _ in 0..total {
        ticker.tick().await;
        let (url, secret, counter, errors, fixed, client, run) = (
            url.clone(),
            secret.clone(),
            counter.clone(),
            errors.clone(),
            fixed.clone(),
            client.clone(),
            run.clone(),
        );
        inflight.push(tokio::spawn(async move {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            let d = delivery(&secret, &run, n);
            let t = Instant::now();
            if post(&client, &url, d).await {
                fixed
                    .lock()
                    .await
                    .record(t.elapsed().as_micros() as u64)
                    .ok();
            } else {
                errors.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for task in inflight {
        task.await.unwrap();
    }
    let fixed_elapsed = started_fixed.elapsed().as_secs_f64();
    let fixed = fixed.lock().await.clone();

    let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    Figures {
        events_per_sec: closed.len() as f64 / elapsed,
        closed_p50_ms: ms(&closed, 0.5),
        closed_p99_ms: ms(&closed, 0.99),
        fixed_rate: fixed.len() as f64 / fixed_elapsed,
        fixed_p50_ms: ms(&fixed, 0.5),
        fixed_p99_ms: ms(&fixed, 0.99),
        errors: errors.load(Ordering::Relaxed),
    }
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).unwrap()
}
