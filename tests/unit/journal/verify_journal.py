#!/usr/bin/env python3
"""An independent check of lifeline's journal format (proto/journal.md):
recomputes every entry's HMAC-SHA256 and the head's from the database and the
key, with nothing of lifeline's code. Prints "OK <n> entries, head <seq>" and
exits 0, or "BAD entry <seq>: <why>" and exits 1."""
import hashlib
import hmac
import sqlite3
import struct
import sys


def field(b):
    return struct.pack(">Q", len(b)) + b


def main(db_path, key_path):
    key = open(key_path, "rb").read()
    db = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
    prev = bytes(32)
    n = 0
    rows = db.execute("SELECT seq, wall_time, mono_us, clock_source, type, report_id, payload, prev_mac, mac"
                      " FROM journal ORDER BY seq")
    for seq, wall, mono, source, typ, report, payload, prev_mac, mac in rows:
        if seq != n + 1:
            return fail(seq, "sequence gap after %d" % n)
        if bytes(prev_mac) != prev:
            return fail(seq, "chain broken (prev_mac)")
        signed = (field(b"lifeline.journal/1") + struct.pack(">Q", seq) + field(wall.encode()) +
                  struct.pack(">Q", mono) + field(source.encode()) + field(typ.encode()) +
                  field(report.encode()) + field(payload.encode()) + prev)
        if hmac.new(key, signed, hashlib.sha256).digest() != bytes(mac):
            return fail(seq, "MAC does not match")
        prev = bytes(mac)
        n = seq
    head = db.execute("SELECT seq, last_mac, head_mac FROM journal_head WHERE id = 1").fetchone()
    if head is None:
        return fail(n, "no head record")
    head_seq, last, head_mac = head
    expected = hmac.new(key, field(b"lifeline.journal.head/1") + struct.pack(">Q", head_seq) + bytes(last),
                        hashlib.sha256).digest()
    if head_seq != n or bytes(last) != prev or bytes(head_mac) != expected:
        return fail(n, "head does not match the last entry")
    print("OK %d entries, head %d" % (n, head_seq))
    return 0


def fail(seq, why):
    print("BAD entry %d: %s" % (seq, why))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
