#!/usr/bin/env python3
"""A TOTP code (RFC 6238: HMAC-SHA-1, 30-second steps, six digits) for the scripts that sign
in with an account `samspar user add` made (issue 25): give it the otpauth:// URI the command
printed on its last line. Standard library only.

    python3 scripts/totp.py 'otpauth://totp/…?secret=…'          # the current code
    from totp import code, wait_for_fresh_step                     # from a script beside it

Each code is accepted once: a script that signs one account in again within the same step
waits for the next (`fresh`)."""
import base64
import hashlib
import hmac
import struct
import sys
import time
import urllib.parse


def secret(uri):
    query = urllib.parse.parse_qs(urllib.parse.urlparse(uri.strip()).query)
    text = query["secret"][0].upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def code(uri, at=None):
    step = int((time.time() if at is None else at) // 30)
    mac = hmac.new(secret(uri), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000)


_last = {}


def fresh(uri):
    """A code of a step this process has not used for the account yet (waits up to 30 s)."""
    while int(time.time() // 30) == _last.get(uri):
        time.sleep(0.5)
    _last[uri] = int(time.time() // 30)
    return code(uri)


if __name__ == "__main__":
    print(code(sys.argv[1]))
