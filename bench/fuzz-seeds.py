#!/usr/bin/env python3
"""Writes the seeds of the fuzz tests whose inputs are easier made than typed: DataLaneFuzzTest
(well-formed frames of every type, as a blade sends them after its greeting, and a few malformed
ones; EPOCH___ stands for the map epoch, which the test puts in) and ConsoleStationFuzzTest (RFB
sessions and HTTP/WebSocket exchanges). Run from the repository's root; the files are committed,
this script says how they were made."""
import os
import struct

import base64

LANE = "actors/src/test/resources/io/rackshare/DataLaneFuzzTestInputs/anyFramesFromAPeerEndCleanly"
STATION = "actors/src/test/resources/io/rackshare/console/ConsoleStationFuzzTestInputs/anyBytesFromAViewerEndCleanly"
EPOCH = b"EPOCH___"
READ, WRITE, ZERO, FLUSH, STRIPE_WRITE, STRIPE_READ, STRIPE_REBUILD, PROXY, MISSED = range(1, 10)


def string(s):
    b = s.encode()
    return struct.pack(">H", len(b)) + b


def device(slot, index, kind="Disk"):
    return struct.pack(">iii", 1, 1, slot) + string(kind) + struct.pack(">i", index)


def frame(type_, id_, header, payload=b""):
    return struct.pack(">iBqi", 13 + len(header) + len(payload), type_, id_, len(header)) + header + payload


def segment(type_, volume, slot, index, dev_off, vol_off, length, flags=0, payload=b""):
    h = string(volume) + EPOCH + device(slot, index) + struct.pack(">qqiB", dev_off, vol_off, length, flags)
    return frame(type_, 1, h, payload)


def stripe(type_, volume, stripe_, offset, length, position=0, flags=0, payload=b""):
    h = string(volume) + EPOCH + struct.pack(">qqiiB", stripe_, offset, length, position, flags)
    return frame(type_, 2, h, payload)


def proxy(op, volume, offset, length, payload=b""):
    return frame(PROXY, 3, bytes([op]) + string(volume) + struct.pack(">qqB", offset, length, 0), payload)


def missed(volume, slot, index, position, failed_slot, failed_index, missed_from):
    h = (string(volume) + EPOCH + device(slot, index) + struct.pack(">i", position)
         + device(failed_slot, failed_index) + struct.pack(">q", missed_from))
    return frame(MISSED, 4, h)


data = bytes(range(256)) * 16
seeds = {
    "span-write-read-zero-flush": segment(WRITE, "s0", 1, 0, 0, 0, 4096, 1, data) + segment(READ, "s0", 1, 0, 0, 0, 4096)
    + segment(ZERO, "s0", 1, 0, 4096, 4096, 8192) + frame(FLUSH, 9, string("s0") + EPOCH + device(1, 0)),
    "mirror-write-read": segment(WRITE, "m1", 1, 1, 8192, 8192, 4096, 0, data) + segment(READ, "m1", 1, 1, 8192, 8192, 4096),
    "not-this-blades-device": segment(READ, "m1", 2, 0, 0, 0, 4096),
    "past-the-device-and-overflowing": segment(READ, "s0", 1, 0, (1 << 20) - 512, (1 << 20) - 512, 4096)
    + segment(ZERO, "s0", 1, 0, (1 << 63) - 100, 0, 4096),
    "stripe-writes-reads-rebuild": stripe(STRIPE_WRITE, "r5", 0, 0, 4096, payload=data)
    + stripe(STRIPE_WRITE, "r5", 1, 32768, 4096, payload=data) + stripe(STRIPE_WRITE, "r5", 2, 65536, 4096, flags=2)
    + stripe(STRIPE_READ, "r5", 2, 65536, 4096) + stripe(STRIPE_REBUILD, "r5", 2, 32768, 4096, position=1),
    "proxied-write-read-flush": proxy(WRITE, "m1", 0, 4096, data) + proxy(READ, "r5", 0, 4096) + proxy(FLUSH, "s0", 0, 0),
    "resync-question": missed("m1", 1, 1, 0, 2, 0, 1),
    "truncated-and-unknown": frame(WRITE, 5, string("s0")) + frame(77, 6, b"?") + struct.pack(">iBq", 12, 1, 7),
    "huge-frame-header-then-stop": struct.pack(">iBqi", 60 << 20, WRITE, 8, 0) + data,
}


# RFB client messages (RFC 6143 7.5)
pixel_format = struct.pack(">BBBBHHHBBB3x", 32, 24, 0, 1, 255, 255, 255, 16, 8, 0)
messages = (b"\x00\x00\x00\x00" + pixel_format                      # SetPixelFormat
            + struct.pack(">BxHiii", 2, 3, 6, 1, 0)                    # SetEncodings: zlib, copyrect, raw
            + struct.pack(">BBHHHH", 3, 0, 0, 0, 640, 400)             # FramebufferUpdateRequest
            + struct.pack(">BBxxI", 4, 1, 0x61) + struct.pack(">BBxxI", 4, 0, 0x61)  # KeyEvent 'a'
            + struct.pack(">BBHH", 5, 1, 10, 10) + struct.pack(">BBHH", 5, 0, 10, 10)  # PointerEvent
            + struct.pack(">BxxxI", 6, 5) + b"hello"                   # ClientCutText
            + struct.pack(">BBHHHH", 3, 1, 0, 0, 65535, 65535))        # an update larger than the screen
pf16 = struct.pack(">BBBBHHHBBB3x", 16, 16, 1, 1, 31, 63, 31, 11, 5, 0)


def ws_frame(opcode, payload, fin=True, key=b"\x11\x22\x33\x44"):
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def upgrade(origin=None):
    key = base64.b64encode(b"0123456789abcdef").decode()
    h = ("GET /websockify HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n" % key)
    if origin:
        h += "Origin: %s\r\n" % origin
    return (h + "\r\n").encode()


station = {
    "rfb-3.8-none-every-message": b"\x00RFB 003.008\n\x01\x01" + messages,
    "rfb-3.3-16-bit-pixels": b"\x00RFB 003.003\n\x01" + b"\x00\x00\x00\x00" + pf16 + messages[20:],
    "rfb-3.7-exclusive": b"\x00RFB 003.007\n\x01\x00" + messages,
    "rfb-bad-version-and-types": b"\x00RFB 003.abc\n\x07\x09",
    "rfb-vnc-auth-wrong-answer": b"\x01RFB 003.008\n\x02" + bytes(16) + b"\x01" + messages,
    "rfb-huge-cut-text": b"\x00RFB 003.008\n\x01\x01" + struct.pack(">BxxxI", 6, 0x7fffffff) + b"x" * 64,
    "web-page-and-novnc": b"\x02GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    + b"GET /novnc/core/rfb.js HTTP/1.1\r\nHost: localhost\r\n\r\n"
    + b"GET /novnc/../../../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    "web-rebinding-host": b"\x02GET / HTTP/1.1\r\nHost: attacker.example\r\n\r\n",
    "web-websocket-rfb-frames": b"\x02" + upgrade() + ws_frame(2, b"RFB 003.008\n") + ws_frame(2, b"\x02")
    + ws_frame(2, bytes(16)) + ws_frame(9, b"ping") + ws_frame(1, b"text is ignored")
    + ws_frame(2, b"\x01", fin=False) + ws_frame(0, b"\x02") + ws_frame(8, struct.pack(">H", 1000)),
    "web-websocket-cross-origin": b"\x02" + upgrade("http://evil.example") + ws_frame(2, b"RFB 003.008\n"),
    "web-websocket-oversized-frame": b"\x02" + upgrade() + b"\x82\xff" + struct.pack(">Q", 1 << 62) + b"\0" * 8,
}

for out, seeds_ in ((LANE, seeds), (STATION, station)):
    os.makedirs(out, exist_ok=True)
    for name, body in seeds_.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(body)
    print(len(seeds_), "seeds in", out)
