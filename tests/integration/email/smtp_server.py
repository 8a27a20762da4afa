#!/usr/bin/python3
"""A real SMTP server for lifeline's e-mail integration tests: Debian's aiosmtpd
(python3-aiosmtpd) on 127.0.0.1, an ephemeral port written to --port-file once
listening. Each accepted message is stored byte-exact (after dot-unstuffing) as
msg-N.eml with its envelope in msg-N.json; --rcpt-reply / --data-reply make it
refuse instead (a reply with \\xNN escapes is sent as those bytes, so a
test can answer with bytes that are not text), --cert/--key add STARTTLS (or implicit TLS with --smtps), and
--auth USER:PASSWORD requires AUTH with exactly those credentials."""
import argparse
import asyncio
import codecs
import json
import os
import socket
import ssl

from aiosmtpd.smtp import SMTP, AuthResult


def as_sent(reply):
    """The reply as the server sends it: bytes when it spells any as \\xNN."""
    if '\\x' in reply:
        return codecs.escape_decode(reply.encode('ascii'))[0]
    return reply


class Handler:
    def __init__(self, args):
        self.args = args
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.args.rcpt_reply:
            return as_sent(self.args.rcpt_reply)
        envelope.rcpt_tos.append(address)
        return '250 2.1.5 Ok'

    async def handle_DATA(self, server, session, envelope):
        if self.args.data_reply:
            return as_sent(self.args.data_reply)
        self.count += 1
        base = os.path.join(self.args.spool, 'msg-%d' % self.count)
        with open(base + '.eml', 'wb') as f:
            f.write(envelope.original_content)
        meta = {'mail_from': envelope.mail_from, 'rcpt_tos': envelope.rcpt_tos,
                'tls': session.ssl is not None, 'authenticated': bool(session.authenticated)}
        with open(base + '.json.tmp', 'w') as f:
            json.dump(meta, f)
        os.rename(base + '.json.tmp', base + '.json')
        if self.args.accept_reply:
            return as_sent(self.args.accept_reply)
        return '250 2.0.0 Ok: queued as LL%04d' % self.count


def tls_context(args):
    if not args.cert:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(args.cert, args.key)
    return ctx


async def main():
    p = argparse.ArgumentParser()
    p.add_argument('--port-file', required=True)
    p.add_argument('--spool', required=True)
    p.add_argument('--rcpt-reply')
    p.add_argument('--data-reply')
    p.add_argument('--accept-reply')
    p.add_argument('--cert')
    p.add_argument('--key')
    p.add_argument('--smtps', action='store_true')
    p.add_argument('--auth')
    args = p.parse_args()
    ctx = tls_context(args)
    auth = {}
    if args.auth:
        user, password = args.auth.split(':', 1)

        def check(server, session, envelope, mechanism, data):
            ok = (getattr(data, 'login', None) == user.encode() and
                  getattr(data, 'password', None) == password.encode())
            return AuthResult(success=ok)
        auth = {'authenticator': check, 'auth_required': True, 'auth_require_tls': ctx is not None}
    handler = Handler(args)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(('127.0.0.1', 0))
    sock.listen(8)

    def factory():
        if args.smtps:
            return SMTP(handler, hostname='mx.test', **auth)
        return SMTP(handler, hostname='mx.test', tls_context=ctx, require_starttls=ctx is not None, **auth)

    server = await asyncio.get_running_loop().create_server(
        factory, sock=sock, ssl=ctx if args.smtps else None)
    with open(args.port_file + '.tmp', 'w') as f:
        f.write(str(sock.getsockname()[1]))
    os.rename(args.port_file + '.tmp', args.port_file)
    await server.serve_forever()


asyncio.run(main())
