//! Interoperability: an event signed by the `standardwebhooks` package from PyPI is accepted,
//! and the same event with one body byte changed is refused.

use crate::helpers::run;
use crate::helpers::{SECRET, TestApp, event, now};
use axum::http::StatusCode;
use std::process::Command;

const SIGNER: &str = r#"
import sys
from datetime import datetime, timezone
from standardwebhooks.webhooks import Webhook

secret, msg_id, ts, body = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.stdin.read()
print(Webhook(secret).sign(msg_id, datetime.fromtimestamp(ts, tz=timezone.utc), body))
"#;

/// Signs with the Python package; fails the test when Python or the package is missing.
fn python_sign(msg_id: &str, timestamp: i64, body: &str) -> String {
    let python = std::env::var("MODDESK_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = Command::new(&python)
        .args(["-c", SIGNER, SECRET, msg_id, &timestamp.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {python}: {e}"));
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the standardwebhooks signer failed; is the package installed for {python}?"
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[test]
fn events_signed_by_the_python_package_verify() {
    run(async {
        let app = TestApp::new().await;
        let body = event("evt_py", "moderation.review", "post_py");
        let ts = now();
        let signature = python_sign("msg_py", ts, &body);
        let tampered = body.replacen("post_py", "post_pz", 1);

        let accepted = app
            .deliver("msg_py", &ts.to_string(), &signature, &body)
            .await;
        let refused = app
            .deliver("msg_py", &ts.to_string(), &signature, &tampered)
            .await;

        assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
        assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 1);
    })
}
