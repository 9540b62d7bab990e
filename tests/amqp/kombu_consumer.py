"""A kombu consumer with its safe setting, accept=['json'], for the integration tests.

Usage: kombu_consumer.py PORT EXCHANGE PATTERN COUNT TIMEOUT
Binds an exclusive queue to the existing topic EXCHANGE with PATTERN, prints "ready", then
one JSON line per message: the Python type kombu decoded the body to, the body, and the
content type; a message kombu refuses prints {"error": ...}. Stops after COUNT messages or
TIMEOUT seconds without one.
"""
import json
import socket
import sys

from kombu import Connection, Exchange, Queue


def main():
    port, exchange, pattern = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    count, timeout = int(sys.argv[4]), float(sys.argv[5])
    lines = []

    def on_message(body, message):
        lines.append({"type": type(body).__name__, "body": body, "content_type": message.content_type})
        message.ack()

    def on_refused(message, error):
        lines.append({"error": f"{type(error).__name__}: {error}"})
        message.ack()

    printed = 0
    with Connection(f"amqp://guest:guest@127.0.0.1:{port}//") as connection:
        queue = Queue(exchange=Exchange(exchange, type="topic", passive=True), routing_key=pattern, exclusive=True,
                      auto_delete=True)
        with connection.Consumer(queue, callbacks=[on_message], accept=["json"], on_decode_error=on_refused):
            print("ready", flush=True)
            while printed < count:
                try:
                    connection.drain_events(timeout=timeout)
                except socket.timeout:
                    break
                while lines:
                    print(json.dumps(lines.pop(0), default=str), flush=True)
                    printed += 1


if __name__ == "__main__":
    main()
