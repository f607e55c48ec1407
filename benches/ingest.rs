//! Ingest load benchmark: `cargo bench --bench ingest [-- --connections N --seconds S]`.
//!
//! Starts three receivers on loopback and drives each with the same load of signed 1 KB events:
//! moddesk itself (release build, fresh database), a bare axum handler that only answers 200
//! (the ceiling of this machine), and the Python reference receiver in `bench/`. For each it
//! prints events/s with N connections sending back to back, and p50/p99 latency at a fixed
//! 2,000 events/s. `--decided N` first fills moddesk's database with N decided review items.
//! Method and latest figures: docs/benchmarks.md.

mod common;

use common::flag;

use axum::body::Bytes;
use axum::http::{HeaderValue, Request, Uri, header};
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use moddesk::ingest::signature::{WebhookSecret, sign};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const FIXED_RATE: u64 = 2_000;
/// How long a request may wait for its answer before it counts as an error.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries prepared per second of the closed-loop phase: above any rate this machine reaches.
const PREPARED_PER_SECOND: u64 = 50_000;

/// Builds the command that starts a receiver on the given port.
type Launcher<'a> = Box<dyn Fn(u16) -> Command + 'a>;

struct Options {
    connections: usize,
    seconds: u64,
    /// Decided review items the moddesk database holds before the run (`--decided N`).
    decided: u64,
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
        decided: flag(&args, "--decided").map_or(0, |v| v.parse().expect("--decided N")),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(options));
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
    let database_url = format!("sqlite://{}/moddesk.db", dir.path().display());
    if options.decided > 0 {
        seed_decisions(&database_url, options.decided).await;
        println!(
            "moddesk's database holds {} decided items\n",
            options.decided
        );
    }

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
                    .env("MODDESK_DATABASE_URL", &database_url)
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
    let mut memory = Vec::new();
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
        let pid = child.id();
        let _guard = Guard(child);
        wait_until_listening(port).await;
        let figures = measure(port, &options, name).await;
        memory.push((*name, peak_memory_mib(pid)));
        rows.push((*name, figures));
    }

    rows_table(&options, &rows);
    println!();
    for (name, peak) in &memory {
        match peak {
            Some(mib) => println!("{name}: peak memory {mib:.1} MiB"),
            None => println!("{name}: peak memory not readable"),
        }
    }
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

/// Fills a new moddesk database with `count` events whose review items are decided, so the
/// run measures ingest into a desk that has been in use (each review event checks its reference's
/// earlier decisions).
async fn seed_decisions(database_url: &str, count: u64) {
    let pool = moddesk::db::open(database_url).await.unwrap();
    let count = i64::try_from(count).unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) \
         INSERT INTO events (source, event_id, webhook_id, event_type, reference_id, action, \
             score, categories, created_at, received_at, body) \
         SELECT 'aegis', 'seed_' || i, 'seed_' || i, 'moderation.review', 'seed_ref_' || i, \
             'review', 0.5, '[]', i, i, CAST('{}' AS BLOB) FROM n",
    )
    .bind(count)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO review_items (reference_id, event_id, status, opened_at, decision, \
             decided_at, score, due_at) \
         SELECT reference_id, id, 'resolved', received_at, 'approve', received_at + 1, score, \
             received_at FROM events WHERE event_id LIKE 'seed_%'",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
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

/// The most memory the process `pid` has held at once (its peak resident set), in MiB.
fn peak_memory_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
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

/// One signed delivery, ready to send. Everything the generator does per event besides the
/// HTTP exchange itself (building the 1 KB body, signing it) happens here, before a phase starts,
/// so the generator takes as little as it can of the CPU it shares with the receiver.
#[derive(Clone)]
struct Delivery {
    id: HeaderValue,
    timestamp: HeaderValue,
    signature: HeaderValue,
    body: Bytes,
}

/// Deliveries `range` of this run: `moderation.review` events of about 1 KB with unique ids.
fn deliveries(secret: &WebhookSecret, run: &str, range: std::ops::Range<u64>) -> Vec<Delivery> {
    let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
    range
        .map(|n| {
            let id = format!("evt_{run}_{n}");
            let body = common::review_event(&id, &format!("ref_{run}_{n}"));
            let signature = sign(secret, &id, timestamp, body.as_bytes());
            Delivery {
                id: HeaderValue::try_from(id).unwrap(),
                timestamp: HeaderValue::from(timestamp),
                signature: HeaderValue::try_from(signature).unwrap(),
                body: Bytes::from(body),
            }
        })
        .collect()
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

fn http_client(idle_per_host: usize) -> HttpClient {
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(idle_per_host)
        .build_http()
}

/// The request that sends delivery `d` to `url`.
fn request(url: &Uri, d: &Delivery) -> Request<Full<Bytes>> {
    Request::post(url.clone())
        .header(header::HOST, HeaderValue::from_static("127.0.0.1"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, d.body.len())
        .header("webhook-id", d.id.clone())
        .header("webhook-timestamp", d.timestamp.clone())
        .header("webhook-signature", d.signature.clone())
        .body(Full::new(d.body.clone()))
        .unwrap()
}

/// Waits for `reply` up to [`ANSWER_TIMEOUT`]; true when it was a 2xx whose body arrived whole.
async fn answered<E>(
    reply: impl Future<Output = Result<hyper::Response<hyper::body::Incoming>, E>>,
) -> bool {
    let exchange = async {
        let reply = reply.await.ok()?;
        let success = reply.status().is_success();
        Some(reply.into_body().collect().await.is_ok() && success)
    };
    matches!(
        tokio::time::timeout(ANSWER_TIMEOUT, exchange).await,
        Ok(Some(true))
    )
}

/// Sends one delivery through the pooled client; true when it was answered 2xx.
async fn post(client: &HttpClient, url: &Uri, d: &Delivery) -> bool {
    answered(client.request(request(url, d))).await
}

/// One kept-alive HTTP/1 connection of the closed loop. Sending on it directly, rather than
/// through the pooled client, spares the generator a pool checkout per request: it shares the
/// machine's cores with the receiver it measures.
struct Connection {
    sender: Option<hyper::client::conn::http1::SendRequest<Full<Bytes>>>,
    port: u16,
}

impl Connection {
    fn new(port: u16) -> Connection {
        Connection { sender: None, port }
    }

    /// Sends one delivery; true when it was answered 2xx. The connection is opened on first use
    /// and again after the receiver closed it; a failed connect fails this delivery.
    async fn post(&mut self, url: &Uri, d: &Delivery) -> bool {
        let usable = match &mut self.sender {
            Some(sender) => sender.ready().await.is_ok(),
            None => false,
        };
        if !usable {
            self.sender = connect(self.port).await;
        }
        match &mut self.sender {
            Some(sender) => answered(sender.send_request(request(url, d))).await,
            None => false,
        }
    }
}

async fn connect(port: u16) -> Option<hyper::client::conn::http1::SendRequest<Full<Bytes>>> {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .ok()?;
    stream.set_nodelay(true).ok()?;
    let (sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .ok()?;
    tokio::spawn(connection);
    Some(sender)
}

async fn measure(port: u16, options: &Options, name: &str) -> Figures {
    let url: Uri = format!("http://127.0.0.1:{port}/hooks/aegis")
        .parse()
        .unwrap();
    // A connection's requests name only the path; the pooled client takes the full address.
    let path: Uri = "/hooks/aegis".parse().unwrap();
    let secret = WebhookSecret::parse(SECRET).unwrap();
    let run = name.split(' ').next().unwrap_or("x").to_owned();
    let errors = Arc::new(AtomicU64::new(0));

    // Closed loop: every connection sends its next event as soon as one returns. The prepared
    // deliveries cover PREPARED_PER_SECOND; a receiver that is faster ends the phase early, which
    // the rate (answers over elapsed time) still reports correctly.
    let prepared = PREPARED_PER_SECOND * options.seconds;
    let closed_set = Arc::new(deliveries(&secret, &run, 0..prepared));
    let next = Arc::new(AtomicU64::new(0));
    let closed = Arc::new(Mutex::new(histogram()));
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..options.connections)
        .map(|_| {
            let (url, set, next, errors, closed) = (
                path.clone(),
                closed_set.clone(),
                next.clone(),
                errors.clone(),
                closed.clone(),
            );
            tokio::spawn(async move {
                let mut connection = Connection::new(port);
                let mut local = histogram();
                while Instant::now() < deadline {
                    let Some(d) = set.get(next.fetch_add(1, Ordering::Relaxed) as usize) else {
                        break;
                    };
                    let t = Instant::now();
                    if connection.post(&url, d).await {
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
    drop(closed_set);

    // Open loop at a fixed rate: requests start on schedule, whether or not earlier ones returned.
    let total = FIXED_RATE * options.seconds;
    let fixed_set = deliveries(&secret, &run, prepared..prepared + total);
    let fixed = Arc::new(Mutex::new(histogram()));
    let client = http_client(usize::MAX);
    let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / FIXED_RATE));
    let started_fixed = Instant::now();
    let mut inflight = Vec::with_capacity(total as usize);
    for d in fixed_set {
        ticker.tick().await;
        let (url, errors, fixed, client) =
            (url.clone(), errors.clone(), fixed.clone(), client.clone());
        inflight.push(tokio::spawn(async move {
            let t = Instant::now();
            if post(&client, &url, &d).await {
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
