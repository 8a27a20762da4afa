#!/usr/bin/env python3
"""Writes the supervisor protocol's golden vectors (vectors.txt) and the fuzz seed
corpora made from them. An implementation of COBS and CRC-16/CCITT-FALSE of its
own, apart from the firmware's (C) and the daemon's (C++): the three must agree.
Run from anywhere: python3 proto/supervisor/make_vectors.py"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def crc16(data: bytes) -> int:
    crc = 0xFFFF
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def cobs(data: bytes) -> bytes:
    out, block = bytearray(), bytearray()
    for b in data:
        if b == 0:
            out += bytes([len(block) + 1]) + block
            block = bytearray()
        else:
            block.append(b)
            if len(block) == 254:
                out += bytes([255]) + block
                block = bytearray()
    out += bytes([len(block) + 1]) + block
    return bytes(out)


def body(t, seq, payload):
    b = bytes([t, seq]) + payload
    return b + struct.pack(">H", crc16(b))


def frame(t, seq, payload):
    return cobs(body(t, seq, payload)) + b"\x00"


assert crc16(b"123456789") == 0x29B1

hello_resp = struct.pack("<BBBBHBIII", 1, 1, 0, 1, 3, 2, 3600, 1, 42)
status = struct.pack("<HHHBIBHHHHIH", 0x0017, 2400, 12650, 92, 13248, 0, 1, 0, 0, 1, 42, 0)
log_resp = bytes([2]) + struct.pack("<IIBI", 40, 1767225600, 2, 900) + struct.pack("<IIBI", 41, 1767225660, 3, 2400)
config = struct.pack("<HHHBH", 60, 10, 300, 3, 240)
GOOD = [
    ("hello_req", 0x01, 0x00, bytes([1, 1])),
    ("hello_resp", 0x81, 0x00, hello_resp),
    ("heartbeat_req", 0x02, 0x05, b""),
    ("status_resp", 0x82, 0x05, status),
    ("rtc_get_req", 0x04, 0x06, b""),
    ("rtc_get_resp", 0x84, 0x06, bytes([1]) + struct.pack("<I", 1767225600)),
    ("rtc_set_req", 0x05, 0x07, struct.pack("<I", 1767225600)),
    ("modem_cycle_req", 0x06, 0x08, b""),
    ("modem_cycle_resp", 0x86, 0x08, bytes([1])),
    ("alarm_req", 0x07, 0x09, bytes([5])),
    ("config_req", 0x08, 0x0A, config),
    ("log_read_req", 0x09, 0x0B, struct.pack("<IB", 40, 4)),
    ("log_read_resp", 0x89, 0x0B, log_resp),
    ("error_resp", 0xFF, 0x0C, bytes([0x03, 0x01])),
    ("seq_255_zeros", 0x89, 0xFF, bytes(64)),
]

lines = ["# Supervisor protocol v1 golden vectors (proto/supervisor.md), made by make_vectors.py.",
         "# name expect type seq payload wire  (hex; '-' = empty). expect: frame, or the error the",
         "# decoder must report for the bytes before the delimiter; 'none' = no frame completes."]
corpus = {}
for name, t, seq, payload in GOOD:
    w = frame(t, seq, payload)
    lines.append(f"{name} frame {t:02x} {seq:02x} {payload.hex() or '-'} {w.hex()}")
    corpus[name] = w

hello = frame(0x01, 0x00, bytes([1, 1]))
bad_crc = bytearray(body(0x01, 0x00, bytes([1, 1])))
bad_crc[-1] ^= 0x01
flipped = bytearray(body(0x82, 0x05, status))
flipped[9] ^= 0x10
st = frame(0x82, 0x05, status)
BAD = [
    ("crc_flipped", "crc", cobs(bytes(bad_crc)) + b"\x00"),
    ("payload_bit_flip", "crc", cobs(bytes(flipped)) + b"\x00"),
    ("cobs_code_past_end", "cobs", bytes([0x05, 0x01, 0x02, 0x00])),
    ("too_short", "short", cobs(bytes([0x02, 0x05, 0x12])) + b"\x00"),
    ("too_long", "long", bytes([0x11] * 80) + b"\x00"),
    # 70 encoded bytes, within the length limit, that decode to a 65-byte payload.
    ("payload_over_64", "cobs", cobs(body(0x82, 0x05, bytes([0x11] * 65))) + b"\x00"),
    ("truncated_no_delimiter", "none", hello[:-1]),
    ("truncated_mid_frame", "none", st[: len(st) // 2]),
    ("cut_then_next_frame", "crc", st[: len(st) // 2] + hello),
    ("empty_delimiters", "none", b"\x00\x00\x00"),
]
for name, expect, w in BAD:
    lines.append(f"{name} {expect} - - - {w.hex()}")
    corpus[name] = w

with open(os.path.join(HERE, "vectors.txt"), "w") as f:
    f.write("\n".join(lines) + "\n")
# A whole conversation, so the firmware's handler gets past the handshake.
corpus["session"] = b"".join(corpus[n] for n in ("hello_req", "heartbeat_req", "rtc_get_req", "rtc_set_req",
                                                 "modem_cycle_req", "alarm_req", "config_req", "log_read_req"))
# One seed corpus for both sides' frame-decoder fuzz targets.
d = os.path.join(ROOT, "tests", "fuzz", "supervisor", "corpus")
os.makedirs(d, exist_ok=True)
for name, w in corpus.items():
    with open(os.path.join(d, name), "wb") as f:
        f.write(w)
