"""Consumers written the way existing Pulp 2 and organisation-system integrations are (pika,
AMQP 0-9-1), unchanged by a switch to notify: each prints what such a consumer would act on.

Usage: legacy_consumer.py pulp2 PORT EXCHANGE COUNT TIMEOUT
       legacy_consumer.py os2mo PORT EXCHANGE COUNT TIMEOUT
pulp2: binds an exclusive queue to the existing EXCHANGE with "pulp.server.#" and reads
event_type, payload and call_report from each JSON body. os2mo: declares EXCHANGE with
pika's defaults (a non-durable topic exchange, as the trigger's examples do), binds
"*.*.*", and reads uuid and time (parsed with datetime.fromisoformat). Both print "ready",
then one JSON line per message, and stop after COUNT messages or TIMEOUT idle seconds.
"""
import datetime
import json
import sys

import pika


def pulp2(body):
    event = json.loads(body)
    return {"event_type": event["event_type"], "payload": event["payload"], "call_report": event["call_report"]}


def os2mo(body):
    payload = json.loads(body)
    time = datetime.datetime.fromisoformat(payload["time"])
    return {"uuid": payload["uuid"], "date": time.date().isoformat(),
            "utcoffset": time.utcoffset().total_seconds()}


def main():
    style, port, exchange, count, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    connection = pika.BlockingConnection(
        pika.ConnectionParameters(host="127.0.0.1", port=port, credentials=pika.PlainCredentials("guest", "guest")))
    channel = connection.channel()
    if style == "os2mo":
        channel.exchange_declare(exchange=exchange, exchange_type="topic")
    queue = channel.queue_declare(queue="", exclusive=True, auto_delete=True).method.queue
    channel.queue_bind(queue=queue, exchange=exchange, routing_key="pulp.server.#" if style == "pulp2" else "*.*.*")
    print("ready", flush=True)
    read = pulp2 if style == "pulp2" else os2mo
    received = 0
    for method, _properties, body in channel.consume(queue, inactivity_timeout=timeout):
        if method is None:
            break
        line = read(body)
        line["routing_key"] = method.routing_key
        print(json.dumps(line), flush=True)
        channel.basic_ack(method.delivery_tag)
        received += 1
        if received >= count:
            break
    channel.cancel()
    connection.close()


if __name__ == "__main__":
    main()
