#!/usr/bin/python3
"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the email tests.

Listens on a free port, prints "PORT <n>" on stdout, then serves until SIGTERM. Each
accepted message is written to DIR/<n>.json with its envelope, its exact bytes (as Latin-1 text),
its headers and body as Python's email parser reads them, and whether the session used TLS. Behaviour for fault tests:
  --starttls CERT KEY   offer STARTTLS (without it, none is offered)
  --implicit-tls CERT KEY  TLS from the first byte (smtps)
  --auth USER:PASS      require AUTH PLAIN/LOGIN with these credentials
  --fail-data N         answer the first N DATA commands with 451 (or --fail-code)
  --fail-code CODE      the reply for --fail-data, e.g. 421 (service not available)
  --fail-text TEXT      the text after the code in that reply (may hold CR, ESC, BEL)
  --refuse ADDR         answer RCPT TO:<ADDR> with 550 (repeatable)
  --defer ADDR          answer RCPT TO:<ADDR> with 450 (repeatable)
  --hang                accept connections and never say anything
  --hang-for S          the same for connections in the first S seconds, then serve
  --silent-after-data N  take the first N messages (250), then read each later message
                        to its end and never answer it, nor anything after (QUIT included)
  --port N              listen on this port instead of a free one (a server that comes back)
"""
import argparse
import asyncio
import email
import email.policy
import json
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult


class Recorder:
    def __init__(self, args):
        self.args = args
        self.data_seen = 0
        self.saved = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.args.refuse:
            return "550 5.1.1 <%s>: no such user" % address
        if address in self.args.defer:
            return "450 4.2.1 <%s>: mailbox busy" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_seen += 1
        if self.args.silent_after_data is not None and self.data_seen > self.args.silent_after_data:
            await asyncio.sleep(3600)
        if self.data_seen <= self.args.fail_data:
            if self.args.fail_text is not None:
                return "%d %s" % (self.args.fail_code, self.args.fail_text)
            if self.args.fail_code == 421:
                return "421 4.3.2 service not available, try again later"
            return "451 4.3.0 try again later"
        self.saved += 1
        # Also as a mail client reads it: headers decoded (RFC 2047), body decoded.
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        record = {
            "headers": [[name, str(value)] for name, value in parsed.items()],
            "content_type": parsed.get_content_type(),
            "charset": parsed.get_content_charset(),
            "body": parsed.get_content() if parsed.get_content_maintype() == "text" else None,
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "raw": envelope.original_content.decode("latin-1"),  # byte for byte
            "tls": server.transport.get_extra_info("ssl_object") is not None,
            "auth": session.auth_data,
        }
        path = os.path.join(self.args.dir, "%d.json" % self.saved)
        with open(path + ".tmp", "w") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 2.0.0 OK queued as %d" % self.saved


def tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def main(args):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    if args.hang:
        async def silent(reader, writer):
            await stop
        server = await asyncio.start_server(silent, "127.0.0.1", args.port)
    else:
        recorder = Recorder(args)
        options = {"decode_data": False, "enable_SMTPUTF8": False, "hostname": "smtp.test"}
        if args.starttls:
            options["tls_context"] = tls_context(*args.starttls)
            options["require_starttls"] = True
        if args.auth:
            user, password = args.auth.split(":", 1)

            def authenticate(server, session, envelope, mechanism, auth_data):
                ok = auth_data.login.decode() == user and auth_data.password.decode() == password
                return AuthResult(success=ok, auth_data=user if ok else None)

            options["authenticator"] = authenticate
            options["auth_required"] = True
            options["auth_require_tls"] = bool(args.starttls or args.implicit_tls)
        ssl_context = tls_context(*args.implicit_tls) if args.implicit_tls else None
        hang_until = loop.time() + args.hang_for

        def protocol():
            # Within --hang-for: a connection that is accepted and never hears a word.
            return asyncio.Protocol() if loop.time() < hang_until else SMTP(recorder, **options)

        server = await loop.create_server(protocol, "127.0.0.1", args.port, ssl=ssl_context)
    print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
    await stop
    server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--implicit-tls", nargs=2, metavar=("CERT", "KEY"))
    parser.add_argument("--auth")
    parser.add_argument("--fail-data", type=int, default=0)
    parser.add_argument("--refuse", action="append", default=[])
    parser.add_argument("--defer", action="append", default=[])
    parser.add_argument("--fail-code", type=int, default=451, choices=[421, 451])
    parser.add_argument("--fail-text")
    parser.add_argument("--hang", action="store_true")
    parser.add_argument("--hang-for", type=float, default=0)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--silent-after-data", type=int)
    asyncio.run(main(parser.parse_args()))
    sys.exit(0)
