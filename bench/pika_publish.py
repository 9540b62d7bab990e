"""Publishes COUNT confirmed, persistent messages to amq.topic with pika (AMQP 0-9-1) and
prints the messages per second. Usage: pika_publish.py PORT COUNT"""
import sys
import time

import pika


def main():
    port, count = int(sys.argv[1]), int(sys.argv[2])
    connection = pika.BlockingConnection(pika.ConnectionParameters(
        host="127.0.0.1", port=port, credentials=pika.PlainCredentials("guest", "guest")))
    channel = connection.channel()
    channel.confirm_delivery()
    body = b'{"specversion":"1.0","type":"repo.sync.finish","data":{"repo_id":"repo-1"}}'
    properties = pika.BasicProperties(content_type="application/cloudevents+json", delivery_mode=2)
    start = time.monotonic()
    for i in range(count):
        channel.basic_publish("amq.topic", "repo.sync.finish", body, properties)
    print(count / (time.monotonic() - start))
    connection.close()


if __name__ == "__main__":
    main()
