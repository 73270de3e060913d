"""A push service on this machine, for tests: a real HTTP server on 127.0.0.1 (in a thread) that receives Web Push
messages as a browser vendor's push service would, checks their VAPID signature and decrypts them, written from
the RFCs with `cryptography`'s primitives only (independently of pywebpush, py-vapid and http-ece, which send them).

- RFC 8292 (VAPID): `Authorization: vapid t=<JWT>, k=<public key>`; the JWT is ES256 (header and claims base64url,
  the signature r||s), signed by the key `k`, which must be the server's configured key; its claims: `aud` the
  endpoint's origin, `exp` in the future and no more than 24 hours ahead, `sub` the configured subject.
- RFC 8291 (message encryption) over RFC 8188 (aes128gcm): the body's header (salt, record size, the sender's
  public key as key id), ECDH between the subscription's private key (made here, as a browser makes it) and the
  sender's key, HKDF with the subscription's auth secret, then the content key and nonce; each record decrypted
  with AES-128-GCM and its padding (the delimiter 0x02 on the last record, then zeros) removed.

Each subscription gets its own path and the status the service answers it with (201, or 410 for one that is gone,
500 for a service in trouble). Every message received is kept with its headers, the decrypted text, when it
arrived (the Django clock, so frozen time shows) and any check that failed.
"""

from __future__ import annotations

import base64
import json
import secrets
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def b64d(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hkdf(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


def raw_public(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


@dataclass
class Device:
    """A browser's subscription: its private key and auth secret stay here, the rest is what it gives the app."""

    path: str
    status: int = 201
    location: str = ""  # with a 3xx status: where the service sends the poster on to
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: secrets.token_bytes(16))
    endpoint: str = ""

    def subscription(self) -> dict[str, Any]:
        """What `PushSubscription.toJSON()` gives in a browser."""
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64e(raw_public(self.key.public_key())), "auth": b64e(self.auth)},
        }


@dataclass
class Received:
    device: Device
    headers: dict[str, str]
    body: bytes
    at: Any  # django.utils.timezone.now() when it arrived
    text: str = ""
    errors: list[str] = field(default_factory=list)

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.text)


class PushService:
    def __init__(self, public_key: str, subject: str) -> None:
        self.public_key, self.subject = public_key, subject
        self.devices: dict[str, Device] = {}
        self.received: list[Received] = []
        self._lock = threading.Lock()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                device = service.devices.get(self.path)
                if device is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                service._receive(device, {k.lower(): v for k, v in self.headers.items()}, body)
                self.send_response(device.status)
                if device.location:
                    self.send_header("Location", device.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> PushService:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def device(self, status: int = 201, location: str = "") -> Device:
        path = f"/push/{secrets.token_urlsafe(12)}"
        device = Device(path=path, status=status, location=location)
        device.endpoint = self.origin + path
        self.devices[path] = device
        return device

    def _receive(self, device: Device, headers: dict[str, str], body: bytes) -> None:
        from django.utils import timezone

        got = Received(device=device, headers=headers, body=body, at=timezone.now())
        try:
            got.errors += self.check_vapid(headers.get("authorization", ""), device)
        except Exception as exc:  # a malformed header is an error to report, not a crash of the server thread
            got.errors.append(f"VAPID unreadable: {exc!r}")
        if headers.get("content-encoding") != "aes128gcm":
            got.errors.append(f"Content-Encoding {headers.get('content-encoding')!r}, not aes128gcm")
        try:
            got.text = decrypt(device, body).decode("utf-8")
        except Exception as exc:
            got.errors.append(f"cannot decrypt: {exc!r}")
        with self._lock:
            self.received.append(got)

    def check_vapid(self, header: str, device: Device) -> list[str]:
        """What is wrong with the Authorization header by RFC 8292 ([] when nothing)."""
        errors = []
        scheme, _sp, params = header.partition(" ")
        if scheme.lower() != "vapid":
            return [f"Authorization scheme {scheme!r}, not vapid"]
        parts = dict(p.strip().split("=", 1) for p in params.split(","))
        token, k = parts.get("t", ""), parts.get("k", "")
        if k != self.public_key:
            errors.append("k is not the server's configured public key")
        head_b64, claims_b64, sig_b64 = token.split(".")
        header_json = json.loads(b64d(head_b64))
        if header_json.get("alg") != "ES256":
            errors.append(f"alg {header_json.get('alg')!r}, not ES256")
        sig = b64d(sig_b64)
        if len(sig) != 64:
            errors.append("the signature is not r||s of 64 bytes")
        der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64d(k))
        try:
            public.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            errors.append("the JWT's signature does not verify with k")
        claims = json.loads(b64d(claims_b64))
        if claims.get("aud") != self.origin:
            errors.append(f"aud {claims.get('aud')!r}, not the endpoint's origin {self.origin}")
        now = time.time()
        if not (now < claims.get("exp", 0) <= now + 24 * 3600):
            errors.append(f"exp {claims.get('exp')} is not within the next 24 hours of {now}")
        if claims.get("sub") != self.subject:
            errors.append(f"sub {claims.get('sub')!r}, not {self.subject!r}")
        return errors


def decrypt(device: Device, body: bytes) -> bytes:
    """RFC 8291 / RFC 8188: the plaintext of an aes128gcm Web Push message for `device`."""
    salt, rs, idlen = body[:16], struct.unpack("!I", body[16:20])[0], body[20]
    sender = body[21 : 21 + idlen]
    ciphertext = body[21 + idlen :]
    if idlen != 65 or rs < 18:
        raise ValueError(f"key id of {idlen} bytes, record size {rs}")
    shared = device.key.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender))
    ua_public = raw_public(device.key.public_key())
    ikm = hkdf(device.auth, shared, b"WebPush: info\x00" + ua_public + sender, 32)
    cek = hkdf(salt, ikm, b"Content-Encoding: aes128gcm\x00", 16)
    base_nonce = hkdf(salt, ikm, b"Content-Encoding: nonce\x00", 12)
    records = [ciphertext[i : i + rs] for i in range(0, len(ciphertext), rs)]
    out = b""
    for seq, record in enumerate(records):
        nonce = (int.from_bytes(base_nonce, "big") ^ seq).to_bytes(12, "big")
        try:
            plain = AESGCM(cek).decrypt(nonce, record, None)
        except InvalidTag as exc:
            raise ValueError(f"record {seq} does not authenticate") from exc
        plain = plain.rstrip(b"\x00")
        last = seq == len(records) - 1
        if not plain or plain[-1] != (2 if last else 1):
            raise ValueError(f"record {seq} has no padding delimiter")
        out += plain[:-1]
    return out
