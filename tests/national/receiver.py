"""A stand-in for the national portal's synchronisation endpoint: a real HTTP server on a free
loopback port, in a thread, that takes each message once by its idempotency key."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self) -> None:
        self.attempts: list[str] = []  # every key posted, in arrival order
        self.taken: list[tuple[str, dict]] = []  # each message processed, once
        self.fail_next = 0  # answer 500 to this many posts first
        self.headers: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                key = self.headers.get("Idempotency-Key", "")
                with receiver.lock:
                    receiver.attempts.append(key)
                    receiver.headers.append(dict(self.headers))
                    if receiver.fail_next:
                        receiver.fail_next -= 1
                        self._answer(500, {"error_code": "500", "message": "busy"})
                        return
                    if key not in {seen for seen, _ in receiver.taken}:
                        receiver.taken.append((key, json.loads(body)))
                self._answer(200, {"error_code": "0", "message": "ok"})

            def _answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/dong-bo"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
