#!/usr/bin/python3
"""A real HTTP server (http.server) on 127.0.0.1 for the webhook tests.

Listens on a free port, prints "PORT <n>" on stdout, then serves until SIGTERM. Every
request is appended to DIR/requests.jsonl (method, path, headers, body, when it came and,
with --secret, whether its signature verifies the way docs/webhooks.md tells receivers).
  --answers LIST   status codes for successive requests, e.g. "503,503,200"; the last
                   repeats. "429:2" adds "Retry-After: 2"; "307:/moved" redirects there.
  --hang           read each request, then never answer
  --hang-for S     the same for requests in the first S seconds, then answer
  --tls CERT KEY   serve https
  --secret S       verify X-Notify-Signature with this secret
"""
import argparse
import json
import os
import signal
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


# What a receiver does, as docs/webhooks.md shows it (the snippet file itself).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "snippets"))
from verify_signature import verify  # noqa: E402


def make_handler(args, lock, state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # One write per answer, sent at once: headers and body in separate small writes
        # meet the client's delayed ACK and cost 40 ms a request.
        wbufsize = -1
        disable_nagle_algorithm = True

        def log_message(self, *unused):
            pass

        def do_GET(self):
            self.do_POST()

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                answers = args.answers.split(",")
                answer = answers[min(state["count"], len(answers) - 1)]
                hang = args.hang or time.monotonic() < state["hang_until"]
                state["count"] += 1
                record = {
                    "method": self.command,
                    "path": self.path,
                    "headers": [[k, v] for k, v in self.headers.items()],
                    "body": body.decode("utf-8", "replace"),
                    "time": time.time(),
                    "answer": None if hang else int(answer.partition(":")[0]),
                }
                if args.secret is not None:
                    record["signature_valid"] = verify(args.secret.encode(), self.headers, body)
                with open(os.path.join(args.dir, "requests.jsonl"), "a") as f:
                    f.write(json.dumps(record) + "\n")
            if hang:
                time.sleep(3600 if args.hang else max(0.0, state["hang_until"] - time.monotonic()) + 30)
                return
            code, _, extra = answer.partition(":")
            reply = ("answer %s\n" % code).encode()
            self.send_response(int(code))
            if extra and int(code) in (301, 302, 303, 307, 308):
                self.send_header("Location", extra)
            elif extra:
                self.send_header("Retry-After", extra)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--answers", default="200")
    parser.add_argument("--hang", action="store_true")
    parser.add_argument("--hang-for", type=float, default=0)
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--secret")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(args, threading.Lock(), {"count": 0, "hang_until": time.monotonic() + args.hang_for}))
    server.daemon_threads = True
    if args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*args.tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *unused: sys.exit(0))
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
