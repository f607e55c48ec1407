//! Durability: the real binary is killed with SIGKILL, or stopped with SIGTERM, in the middle of
//! a load; every event it answered 2xx must be in the database afterwards, and after a stop in
//! the database file alone.

use crate::helpers::run;
use crate::helpers::{SECRET, event};
use moddesk::ingest::signature::{WebhookSecret, sign};
use std::process::{Child, Command, Stdio};
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

async fn start(db: &str, port: u16) -> Server {
    let server = Server {
        child: Command::new(env!("CARGO_BIN_EXE_moddesk"))
            .arg("serve")
            .env("MODDESK_DATABASE_URL", db)
            .env("MODDESK_LISTEN", format!("127.0.0.1:{port}"))
            .env("MODDESK_WEBHOOK_SECRET", SECRET)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
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
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}/moddesk.db", dir.path().display());
        let port = free_port();
        let mut server = start(&db, port).await;
        let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
        let senders = send_until_refused(port, &acknowledged);
        tokio::time::sleep(Duration::from_millis(1500)).await;

        server.child.kill().unwrap();
        server.child.wait().unwrap();
        for sender in senders {
            sender.await.unwrap();
        }

        let acknowledged = acknowledged.lock().unwrap().clone();
        assert_all_stored(&db, &acknowledged).await;
    })
}

#[test]
fn a_stopped_server_leaves_every_acknowledged_event_in_the_database_file_itself() {
    run(async {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}/moddesk.db", dir.path().display());
        let port = free_port();
        let mut server = start(&db, port).await;
        let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
        let senders = send_until_refused(port, &acknowledged);
        tokio::time::sleep(Duration::from_millis(1500)).await;

        let stopped = Command::new("kill")
            .args(["-TERM", &server.child.id().to_string()])
            .status()
            .unwrap();
        let exit = server.child.wait().unwrap();
        for sender in senders {
            sender.await.unwrap();
        }

        // A backup that copies only the database file, without its log.
        assert!(stopped.success() && exit.success(), "{exit:?}");
        let copy = tempfile::tempdir().unwrap();
        std::fs::copy(
            dir.path().join("moddesk.db"),
            copy.path().join("moddesk.db"),
        )
        .unwrap();
        let acknowledged = acknowledged.lock().unwrap().clone();
        assert_all_stored(
            &format!("sqlite://{}/moddesk.db", copy.path().display()),
            &acknowledged,
        )
        .await;
    })
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
