//! Durability: the real binary is killed with SIGKILL, or stopped with SIGTERM, in the middle of
//! a load; every event it answered 2xx must be in the database afterwards, and after a stop in
//! the database file alone.

use crate::helpers::run;
use crate::helpers::{SECRET, event};
use moddesk::ingest::signature::{WebhookSecret, sign};
use std::path::Path;
use std::process::{Child, Command, ExitStatus};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the binary on the database in `dir`, logging warnings to `dir/server.log`.
async fn start(dir: &Path, port: u16) -> Server {
    let log = std::fs::File::create(dir.join("server.log")).unwrap();
    let server = Server {
        child: Command::new(env!("CARGO_BIN_EXE_moddesk"))
            .arg("serve")
            .env("MODDESK_DATABASE_URL", database_url(dir))
            .env("MODDESK_LISTEN", format!("127.0.0.1:{port}"))
            .env("MODDESK_WEBHOOK_SECRET", SECRET)
            .env("RUST_LOG", "warn")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap(),
    };
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("moddesk did not start");
}

#[test]
fn every_acknowledged_event_survives_sigkill() {
    run(async {
        let load = UnderLoad::start().await;

        let (dir, _, acknowledged) = load.end("KILL").await;

        assert_all_stored(&database_url(dir.path()), &acknowledged).await;
    })
}

#[test]
fn a_stopped_server_leaves_every_acknowledged_event_in_the_database_file_itself() {
    run(async {
        let load = UnderLoad::start().await;

        let (dir, exit, acknowledged) = load.end("TERM").await;

        // The stop folded the whole log into the database file and left it empty.
        assert!(exit.success(), "{exit:?}");
        let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
        assert!(!log.contains("not folded"), "{log}");
        let log_left = std::fs::metadata(dir.path().join("moddesk.db-wal")).map_or(0, |m| m.len());
        assert_eq!(log_left, 0, "the log still holds {log_left} bytes");
        // A backup that copies only the database file, without its log.
        let copy = tempfile::tempdir().unwrap();
        std::fs::copy(
            dir.path().join("moddesk.db"),
            copy.path().join("moddesk.db"),
        )
        .unwrap();
        assert_all_stored(&database_url(copy.path()), &acknowledged).await;
    })
}

fn database_url(dir: &Path) -> String {
    format!("sqlite://{}/moddesk.db", dir.display())
}

/// The real binary on a fresh database, 1.5 s into the load of [`send_until_refused`].
struct UnderLoad {
    dir: tempfile::TempDir,
    server: Server,
    acknowledged: Arc<Mutex<Vec<String>>>,
    senders: Vec<tokio::task::JoinHandle<()>>,
}

impl UnderLoad {
    async fn start() -> UnderLoad {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let server = start(dir.path(), port).await;
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let senders = send_until_refused(port, &acknowledged);
        tokio::time::sleep(Duration::from_millis(1500)).await;
        UnderLoad {
            dir,
            server,
            acknowledged,
            senders,
        }
    }

    /// Sends the server `signal` (as `kill` names it), waits for it and for the senders, and
    /// returns its folder, how it exited and the ids of the events it acknowledged.
    async fn end(mut self, signal: &str) -> (tempfile::TempDir, ExitStatus, Vec<String>) {
        let sent = Command::new("kill")
            .args([format!("-{signal}"), self.server.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{signal} failed");
        let exit = self.server.child.wait().unwrap();
        for sender in std::mem::take(&mut self.senders) {
            sender.await.unwrap();
        }
        let acknowledged = self.acknowledged.lock().unwrap().clone();
        (self.dir, exit, acknowledged)
    }
}

/// Eight senders that deliver review events one after another until the server stops
/// answering, noting the id of every event answered 2xx.
fn send_until_refused(
    port: u16,
    acknowledged: &Arc<Mutex<Vec<String>>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let secret = WebhookSecret::parse(SECRET).unwrap();
    (0..8)
        .map(|worker| {
            let acknowledged = acknowledged.clone();
            let secret = secret.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                for n in 0.. {
                    let id = format!("evt_{worker}_{n}");
                    let body = event(&id, "moderation.review", &id);
                    let ts = time::OffsetDateTime::now_utc().unix_timestamp();
                    let reply = client
                        .post(format!("http://127.0.0.1:{port}/hooks/aegis"))
                        .header("webhook-id", &id)
                        .header("webhook-timestamp", ts.to_string())
                        .header("webhook-signature", sign(&secret, &id, ts, body.as_bytes()))
                        .body(body)
                        .send()
                        .await;
                    match reply {
                        Ok(reply) if reply.status().is_success() => {
                            acknowledged.lock().unwrap().push(id)
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            })
        })
        .collect()
}

/// Asserts that there was load enough to prove something and that the database at `db` holds
/// every one of the `acknowledged` events.
async fn assert_all_stored(db: &str, acknowledged: &[String]) {
    assert!(
        acknowledged.len() > 50,
        "too little load to prove anything: {}",
        acknowledged.len()
    );
    let pool = moddesk::db::open(db).await.unwrap();
    let stored: std::collections::HashSet<String> =
        sqlx::query_scalar("SELECT event_id FROM events")
            .fetch_all(&pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !stored.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged events lost, e.g. {:?}",
        lost.len(),
        lost.first()
    );
}

#[test]
fn a_second_stop_signal_exits_without_waiting_for_open_requests() {
    run(async {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut server = start(dir.path(), port).await;
        // A request whose body never finishes keeps the stop waiting for its grace period.
        let mut open = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        open.write_all(b"POST /hooks/aegis HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let kill = |server: &Server| {
            Command::new("kill")
                .args(["-TERM", &server.child.id().to_string()])
                .status()
                .unwrap()
        };

        let started = Instant::now();
        assert!(kill(&server).success());
        tokio::time::sleep(Duration::from_millis(500)).await;
        let still_running = server.child.try_wait().unwrap().is_none();
        assert!(kill(&server).success());
        let exit = server.child.wait().unwrap();

        assert!(
            still_running,
            "the first signal should wait for the open request"
        );
        assert_eq!(exit.code(), Some(1));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
        assert!(log.contains("second stop signal"), "{log}");
    })
}
