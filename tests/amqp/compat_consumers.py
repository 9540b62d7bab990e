"""The Python consumers of the compatibility matrix (tests/amqp/compat_matrix_test.cpp),
each written the way its library's users write one: pika, kombu with accept=['json'],
py-amqp and Proton.

Usage: compat_consumers.py declare PORT CELLS
       compat_consumers.py read PORT CELLS
CELLS is JSON: [{"queue", "consumer", "exchange", "binding", "count"}].
declare: declares each queue (not exclusive, so a Proton receiver can read it through
/amq/queue/NAME) bound to its existing topic exchange, then prints "ready".
read: prints "ready", reads `count` messages from each queue with its consumer (10 s at
most), checks that no further one waits, deletes the queue, then prints one JSON line:
{queue: {"messages": [...], "extra": bool} or {"error": "..."}}. Each message:
routing_key, content_type, body (as the library decodes it, or {"error": ExceptionName}),
message_id, durable.
"""
import json
import sys
import time

import amqp
import pika
from kombu import Connection, Queue
from proton.utils import BlockingConnection
from proton import Timeout

WAIT = 10.0  # seconds for the expected messages; they are in the queue before `read` starts


def record(routing_key, content_type, body, message_id, durable):
    return {"routing_key": routing_key, "content_type": content_type, "body": body, "message_id": message_id,
            "durable": bool(durable)}


def read_pika(port, queue, count):
    connection = pika.BlockingConnection(
        pika.ConnectionParameters(host="127.0.0.1", port=port, credentials=pika.PlainCredentials("guest", "guest")))
    channel = connection.channel()
    messages = []
    for method, properties, body in channel.consume(queue, inactivity_timeout=WAIT):
        if method is None:
            break
        messages.append(record(method.routing_key, properties.content_type, json.loads(body), properties.message_id,
                               properties.delivery_mode == 2))
        channel.basic_ack(method.delivery_tag)
        if len(messages) >= count:
            break
    channel.cancel()
    extra = channel.basic_get(queue)[0] is not None
    connection.close()
    return messages, extra


def read_kombu(port, queue, count):
    messages = []

    def on_message(body, message):
        props = message.properties
        messages.append(record(message.delivery_info["routing_key"], message.content_type, body,
                               props.get("message_id"), props.get("delivery_mode") == 2))
        message.ack()

    def on_refused(message, error):
        props = message.properties
        messages.append(record(message.delivery_info["routing_key"], message.content_type,
                               {"error": type(error).__name__}, props.get("message_id"),
                               props.get("delivery_mode") == 2))
        message.ack()

    with Connection(f"amqp://guest:guest@127.0.0.1:{port}//") as connection:
        with connection.Consumer(Queue(queue, no_declare=True), callbacks=[on_message], accept=["json"],
                                 on_decode_error=on_refused):
            deadline = time.monotonic() + WAIT
            while len(messages) < count and time.monotonic() < deadline:
                try:
                    connection.drain_events(timeout=0.5)
                except TimeoutError:
                    pass
        channel = connection.channel()
        extra = channel.basic_get(queue) is not None
        channel.close()
    return messages, extra


def read_py_amqp(port, queue, count):
    connection = amqp.Connection(host=f"127.0.0.1:{port}", userid="guest", password="guest")
    connection.connect()
    channel = connection.channel()
    messages = []
    deadline = time.monotonic() + WAIT
    while len(messages) < count and time.monotonic() < deadline:
        message = channel.basic_get(queue)
        if message is None:
            time.sleep(0.05)
            continue
        props = message.properties
        messages.append(record(message.delivery_info["routing_key"], props.get("content_type"),
                               json.loads(message.body), props.get("message_id"), props.get("delivery_mode") == 2))
        channel.basic_ack(message.delivery_tag)
    extra = channel.basic_get(queue) is not None
    connection.close()
    return messages, extra


def read_proton(port, queue, count):
    connection = BlockingConnection(f"amqp://127.0.0.1:{port}")
    receiver = connection.create_receiver(f"/amq/queue/{queue}")
    messages = []
    try:
        while len(messages) < count:
            message = receiver.receive(timeout=WAIT)
            messages.append(record(message.subject, message.content_type, json.loads(bytes(message.body)),
                                   message.id, message.durable))
            receiver.accept()
    except Timeout:
        pass
    try:
        receiver.receive(timeout=0.2)
        extra = True
    except Timeout:
        extra = False
    connection.close()
    return messages, extra


READERS = {"pika": read_pika, "kombu": read_kombu, "py-amqp": read_py_amqp, "proton": read_proton}


def main():
    mode, port, cells = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
    admin = pika.BlockingConnection(
        pika.ConnectionParameters(host="127.0.0.1", port=port, credentials=pika.PlainCredentials("guest", "guest")))
    channel = admin.channel()
    if mode == "declare":
        for cell in cells:
            channel.queue_declare(queue=cell["queue"])
            channel.queue_bind(queue=cell["queue"], exchange=cell["exchange"], routing_key=cell["binding"])
        print("ready", flush=True)
        admin.close()
        return
    print("ready", flush=True)
    results = {}
    for cell in cells:
        try:
            messages, extra = READERS[cell["consumer"]](port, cell["queue"], cell["count"])
            results[cell["queue"]] = {"messages": messages, "extra": extra}
        except Exception as error:  # the cell shows what went wrong; the test fails on it
            results[cell["queue"]] = {"error": f"{type(error).__name__}: {error}"}
        channel.queue_delete(queue=cell["queue"])
    admin.close()
    print(json.dumps(results, default=str), flush=True)


if __name__ == "__main__":
    main()
