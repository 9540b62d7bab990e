"""An AMQP 0-9-1 consumer (pika) for the integration tests.

Usage: pika_consumer.py PORT bind EXCHANGE PATTERN COUNT TIMEOUT
       pika_consumer.py PORT drain QUEUE COUNT TIMEOUT
bind: declares an exclusive queue bound to EXCHANGE with PATTERN, prints "ready", then one
JSON line per message; drain: reads an existing queue. Stops after COUNT messages or
TIMEOUT seconds without one.
"""
import json
import os
import sys

import pika
from proton import Data

# What docs/amqp.md shows 0-9-1 consumers (the snippet file itself).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "snippets"))
from amqp10_headers import amqp10_application_properties  # noqa: E402


def amqp10_properties(properties):
    """The AMQP 1.0 properties section RabbitMQ 3.x keeps in x-amqp-1.0-properties, as a list
    of text (None for an empty field; trailing empty fields are not encoded)."""
    blob = (properties.headers or {}).get("x-amqp-1.0-properties")
    if blob is None:
        return None
    data = Data()
    data.decode(blob)
    data.rewind()
    data.next()
    return [None if v is None else (v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v))
            for v in data.get_object().value]


def main():
    port = int(sys.argv[1])
    mode = sys.argv[2]
    connection = pika.BlockingConnection(
        pika.ConnectionParameters(host="127.0.0.1", port=port, credentials=pika.PlainCredentials("guest", "guest")))
    channel = connection.channel()
    if mode == "bind":
        exchange, pattern, count, timeout = sys.argv[3], sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
        queue = channel.queue_declare(queue="", exclusive=True, auto_delete=True).method.queue
        channel.queue_bind(queue=queue, exchange=exchange, routing_key=pattern)
    else:
        queue, count, timeout = sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    print("ready", flush=True)
    received = 0
    for method, properties, body in channel.consume(queue, inactivity_timeout=timeout):
        if method is None:
            break
        print(json.dumps({
            "routing_key": method.routing_key,
            "body": body.decode("utf-8"),
            "content_type": properties.content_type,
            "delivery_mode": properties.delivery_mode,
            "message_id": properties.message_id,
            "priority": properties.priority,
            "expiration": properties.expiration,
            "correlation_id": properties.correlation_id,
            "content_encoding": properties.content_encoding,
            "user_id": properties.user_id,
            "app_id": properties.app_id,
            "timestamp": properties.timestamp,
            # RabbitMQ 3.10 keeps AMQP 1.0 application properties out of 0-9-1 headers; decoded here.
            "amqp10_app_properties": {str(k): str(v) for k, v in amqp10_application_properties(properties).items()},
            # The AMQP 1.0 properties section as a list: message-id, user-id, to, subject, reply-to,
            # correlation-id, content-type, content-encoding, absolute-expiry-time, creation-time,
            # group-id, ...
            "amqp10_properties": amqp10_properties(properties),
            # Binary values (RabbitMQ 3.x keeps AMQP 1.0 sections in x-amqp-1.0-* headers, encoded)
            # as Latin-1 text.
            "headers": {k: v.decode("latin-1") if isinstance(v, bytes) else str(v)
                        for k, v in (properties.headers or {}).items()},
        }), flush=True)
        channel.basic_ack(method.delivery_tag)
        received += 1
        if received >= count:
            break
    channel.cancel()
    connection.close()


if __name__ == "__main__":
    main()
