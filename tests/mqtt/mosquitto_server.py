#!/usr/bin/python3
"""A private Mosquitto 2.0 broker on 127.0.0.1 and a free port, for tests.

Prints "PORT <n>" once the broker accepts connections; with --tls CA CERT KEY it also
listens with TLS (that certificate) on a second port and prints "TLS <n>" next. SIGUSR1
(re)starts the broker on the same port, stopping it first with SIGTERM, so that it saves its
sessions, and prints "RESTARTED"; SIGUSR2 stops it and prints "STOPPED"; SIGTERM stops it
and ends.
With --start-after S it prints the port first and starts the broker S seconds later. The
broker keeps sessions and queued QoS 1/2 messages across a restart (persistence on)."""
import os
import pwd
import signal
import socket
import subprocess
import sys
import tempfile
import time

work = tempfile.mkdtemp(prefix="notify-mosquitto-")
tls = sys.argv[2:5] if len(sys.argv) >= 5 and sys.argv[1] == "--tls" else None
# --start-after S: print the port at once and start the broker S seconds later.
start_after = float(sys.argv[2]) if len(sys.argv) >= 3 and sys.argv[1] == "--start-after" else 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


port = free_port()
tls_port = free_port() if tls else None
conf = os.path.join(work, "mosquitto.conf")
with open(conf, "w") as f:
    # As root, Mosquitto would switch to its own user, which cannot write this folder.
    f.write(f"user {pwd.getpwuid(os.getuid()).pw_name}\n")
    f.write(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {work}/\nlog_dest file {work}/mosquitto.log\n")
    if tls:
        f.write(f"listener {tls_port} 127.0.0.1\ncafile {tls[0]}\ncertfile {tls[1]}\nkeyfile {tls[2]}\n")

broker = None
restart = False
pause = False
paused = False


def start():
    global broker
    broker = subprocess.Popen(["/usr/sbin/mosquitto", "-c", conf], stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if broker.poll() is not None:
                sys.exit(f"mosquitto exited with {broker.returncode}; see {work}/mosquitto.log")
            time.sleep(0.05)
    sys.exit("mosquitto did not listen within 20 s")


def stop():
    if broker and broker.poll() is None:
        broker.terminate()
        broker.wait(20)


def on_usr1(*_):
    global restart
    restart = True


def on_usr2(*_):
    global pause
    pause = True


def on_term(*_):
    stop()
    subprocess.run(["rm", "-rf", work])
    sys.exit(0)


signal.signal(signal.SIGUSR1, on_usr1)
signal.signal(signal.SIGUSR2, on_usr2)
signal.signal(signal.SIGTERM, on_term)
if start_after:
    print(f"PORT {port}", flush=True)
    time.sleep(start_after)
start()
if not start_after:
    print(f"PORT {port}", flush=True)
if tls:
    print(f"TLS {tls_port}", flush=True)
while True:
    time.sleep(0.1)
    if restart:
        restart = paused = False
        stop()
        start()
        print("RESTARTED", flush=True)
    elif pause:
        pause = False
        paused = True
        stop()
        print("STOPPED", flush=True)
    elif not paused and broker.poll() is not None:
        sys.exit(f"mosquitto exited with {broker.returncode}")
