"""The comparison receiver for benches/ingest.rs: a webhook receiver as a small team would write
it with Python's standard library, the `standardwebhooks` package and sqlite3 (one connection
and one commit per request). Usage: reference_receiver.py SECRET PORT DB_PATH
"""

import json
import sqlite3
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET, PORT, DB = sys.argv[1], int(sys.argv[2]), sys.argv[3]
WEBHOOK = Webhook(SECRET)

with sqlite3.connect(DB) as setup:
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, type TEXT, body TEXT)")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        headers = {k: self.headers.get(k, "") for k in ("webhook-id", "webhook-timestamp", "webhook-signature")}
        try:
            WEBHOOK.verify(body, headers)
            event = json.loads(body)
        except (WebhookVerificationError, ValueError):
            return self.reply(401)
        db = sqlite3.connect(DB, timeout=30)
        db.execute("INSERT OR IGNORE INTO events VALUES (?, ?, ?)", (event["id"], event["type"], body))
        db.commit()
        db.close()
        self.reply(200)

    def reply(self, status):
        self.send_response(status)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
