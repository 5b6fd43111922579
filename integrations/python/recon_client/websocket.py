# A minimal WebSocket client (RFC 6455) on the standard library: Blender bundles no WebSocket module.
#
# What it does: the HTTP/1.1 upgrade handshake (Sec-WebSocket-Key / -Accept checked), extra request headers
# (Authorization), masked client frames, text and binary messages, fragmented messages, ping/pong (pings
# from the server are answered at once), and the close handshake. What it leaves out on purpose: extensions
# (no permessage-deflate; the daemon has it off), sub-protocols, proxies. ws:// and wss:// (ssl).
#
# The frame codec (encode_frame, FrameDecoder) is pure and tested on its own; WebSocket is the socket part.
import base64
import hashlib
import json
import os
import socket
import struct
import threading
from urllib.parse import urlsplit

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONTINUATION = 0x0
OP_TEXT = 0x1
OP_BINARY = 0x2
OP_CLOSE = 0x8
OP_PING = 0x9
OP_PONG = 0xA
CONTROL_OPCODES = (OP_CLOSE, OP_PING, OP_PONG)
DATA_OPCODES = (OP_CONTINUATION, OP_TEXT, OP_BINARY)

# Close codes (RFC 6455 §7.4.1).
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_PROTOCOL_ERROR = 1002
CLOSE_NO_STATUS = 1005
CLOSE_ABNORMAL = 1006
CLOSE_TOO_BIG = 1009

#: Largest message accepted from the server. result.read answers carry files of up to 64 MiB as base64.
DEFAULT_MAX_MESSAGE = 128 * 1024 * 1024
#: Largest HTTP response head accepted during the handshake.
MAX_HANDSHAKE_HEAD = 64 * 1024


class WebSocketError(Exception):
    """Anything that goes wrong on the wire."""


class ProtocolError(WebSocketError):
    """The peer broke RFC 6455 (or sent more than we accept)."""

    def __init__(self, message, close_code=CLOSE_PROTOCOL_ERROR):
        super().__init__(message)
        self.close_code = close_code


class HandshakeError(WebSocketError):
    """The server refused the upgrade. ``body`` is the response body; ``error`` its JSON ``error`` member, if any."""

    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.error = None
        try:
            parsed = json.loads(body.decode("utf-8"))
            if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
                self.error = parsed["error"]
        except (ValueError, UnicodeDecodeError):
            pass
        detail = self.error.get("message") if self.error else body.decode("utf-8", "replace").strip()[:200]
        super().__init__("HTTP %d %s%s" % (status, reason, (": " + detail) if detail else ""))


class ConnectionClosed(WebSocketError):
    """The connection is closed: by a close frame (``code``, ``reason``) or because the socket ended (1006)."""

    def __init__(self, code=CLOSE_ABNORMAL, reason=""):
        self.code = code
        self.reason = reason
        super().__init__("connection closed (%d%s)" % (code, (" " + reason) if reason else ""))


# ---------------------------------------------------------------------------------------------------------
# Handshake helpers


def make_key(rand=os.urandom):
    """A fresh Sec-WebSocket-Key: 16 random bytes, base64."""
    return base64.b64encode(rand(16)).decode("ascii")


def accept_key(key):
    """The Sec-WebSocket-Accept value a server must answer for ``key``."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode("ascii")).digest()).decode("ascii")


def parse_url(url):
    """ws[s]://host[:port][/path][?query] → (secure, host, port, resource). IPv6 hosts come back without brackets."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss"):
        raise ValueError("Expected a ws:// or wss:// URL but received %r" % (url,))
    if not parts.hostname:
        raise ValueError("Expected a host in the URL but received %r" % (url,))
    secure = parts.scheme == "wss"
    port = parts.port or (443 if secure else 80)
    resource = parts.path or "/"
    if parts.query:
        resource += "?" + parts.query
    return secure, parts.hostname, port, resource


def host_header(host, port, secure):
    h = "[%s]" % host if ":" in host else host
    default = 443 if secure else 80
    return h if port == default else "%s:%d" % (h, port)


def build_request(host, port, resource, key, headers=None, secure=False):
    lines = [
        "GET %s HTTP/1.1" % resource,
        "Host: %s" % host_header(host, port, secure),
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: %s" % key,
        "Sec-WebSocket-Version: 13",
    ]
    for name, value in (headers or {}).items():
        if "\r" in name or "\n" in name or "\r" in str(value) or "\n" in str(value):
            raise ValueError("Header %r contains a line break" % (name,))
        lines.append("%s: %s" % (name, value))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def parse_response_head(head):
    """b"HTTP/1.1 101 …\\r\\nName: value…" → (status, reason, {lower-case name: value})."""
    text = head.decode("latin-1")
    lines = text.split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ProtocolError("Expected an HTTP status line but received %r" % (lines[0][:80],))
    status = int(parts[1])
    reason = parts[2] if len(parts) > 2 else ""
    headers = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise ProtocolError("Malformed header line %r" % (line[:80],))
        name = name.strip().lower()
        value = value.strip()
        headers[name] = headers[name] + ", " + value if name in headers else value
    return status, reason, headers


def check_upgrade(status, reason, headers, key):
    """Raise unless the response is a valid 101 answer to our key."""
    if status != 101:
        raise HandshakeError(status, reason, headers, b"")
    if headers.get("upgrade", "").lower() != "websocket":
        raise ProtocolError("Expected 'Upgrade: websocket' in the handshake response")
    if "upgrade" not in [t.strip().lower() for t in headers.get("connection", "").split(",")]:
        raise ProtocolError("Expected 'Connection: Upgrade' in the handshake response")
    if headers.get("sec-websocket-accept") != accept_key(key):
        raise ProtocolError("Sec-WebSocket-Accept does not match the key we sent")
    if headers.get("sec-websocket-extensions"):
        raise ProtocolError("The server enabled extensions we did not offer: %s" % headers["sec-websocket-extensions"])


# ---------------------------------------------------------------------------------------------------------
# Frame codec


def mask_bytes(payload, mask_key):
    """XOR ``payload`` with the 4-byte ``mask_key`` (its own inverse). Fast: one big-integer XOR."""
    n = len(payload)
    if n == 0:
        return b""
    repeated = (mask_key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(repeated, "little")).to_bytes(n, "little")


def encode_frame(opcode, payload=b"", fin=True, mask=True, mask_key=None):
    """One frame. Client frames must be masked (RFC 6455 §5.3); ``mask_key`` defaults to 4 random bytes."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    if opcode in CONTROL_OPCODES and (len(payload) > 125 or not fin):
        raise ValueError("Control frames carry at most 125 bytes and cannot be fragmented")
    head = bytearray([(0x80 if fin else 0) | (opcode & 0x0F)])
    n = len(payload)
    mask_bit = 0x80 if mask else 0
    if n < 126:
        head.append(mask_bit | n)
    elif n < 65536:
        head.append(mask_bit | 126)
        head += struct.pack("!H", n)
    else:
        head.append(mask_bit | 127)
        head += struct.pack("!Q", n)
    if not mask:
        return bytes(head) + bytes(payload)
    key = mask_key if mask_key is not None else os.urandom(4)
    if len(key) != 4:
        raise ValueError("A mask key has 4 bytes")
    return bytes(head) + key + mask_bytes(bytes(payload), key)


def close_payload(code, reason=""):
    if code in (CLOSE_NO_STATUS, CLOSE_ABNORMAL) or code is None:
        return b""
    return struct.pack("!H", code) + reason.encode("utf-8")[:123]


def parse_close_payload(payload):
    if len(payload) == 0:
        return CLOSE_NO_STATUS, ""
    if len(payload) == 1:
        raise ProtocolError("A close frame payload of 1 byte is invalid")
    code = struct.unpack("!H", payload[:2])[0]
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError("The close reason is not valid UTF-8")
    return code, reason


class Frame(object):
    __slots__ = ("fin", "opcode", "payload")

    def __init__(self, fin, opcode, payload):
        self.fin = fin
        self.opcode = opcode
        self.payload = payload

    def __repr__(self):
        return "Frame(fin=%r, opcode=%d, %d bytes)" % (self.fin, self.opcode, len(self.payload))


class FrameDecoder(object):
    """Incremental frame parser for frames from a server: feed bytes, get complete frames.

    Server frames must not be masked, reserved bits must be 0 (no extensions), control frames are at most 125
    bytes and not fragmented, and no frame may exceed ``max_frame`` bytes."""

    def __init__(self, max_frame=DEFAULT_MAX_MESSAGE, allow_masked=False):
        self.buf = bytearray()
        self.max_frame = max_frame
        self.allow_masked = allow_masked

    def feed(self, data):
        self.buf += data
        frames = []
        while True:
            f = self._next()
            if f is None:
                return frames
            frames.append(f)

    def _next(self):
        b = self.buf
        if len(b) < 2:
            return None
        b0, b1 = b[0], b[1]
        if b0 & 0x70:
            raise ProtocolError("Reserved bits set in a frame (no extension was negotiated)")
        fin = bool(b0 & 0x80)
        opcode = b0 & 0x0F
        if opcode not in CONTROL_OPCODES and opcode not in DATA_OPCODES:
            raise ProtocolError("Unknown opcode %d" % opcode)
        masked = bool(b1 & 0x80)
        if masked and not self.allow_masked:
            raise ProtocolError("A server must not mask its frames")
        n = b1 & 0x7F
        pos = 2
        if n == 126:
            if len(b) < 4:
                return None
            n = struct.unpack_from("!H", b, 2)[0]
            pos = 4
        elif n == 127:
            if len(b) < 10:
                return None
            n = struct.unpack_from("!Q", b, 2)[0]
            if n >> 63:
                raise ProtocolError("Frame length has its high bit set")
            pos = 10
        if opcode in CONTROL_OPCODES and (n > 125 or not fin):
            raise ProtocolError("Control frames carry at most 125 bytes and cannot be fragmented")
        if n > self.max_frame:
            raise ProtocolError("A frame of %d bytes is larger than the limit of %d" % (n, self.max_frame), CLOSE_TOO_BIG)
        key = None
        if masked:
            if len(b) < pos + 4:
                return None
            key = bytes(b[pos:pos + 4])
            pos += 4
        if len(b) < pos + n:
            return None
        payload = bytes(b[pos:pos + n])
        del b[:pos + n]
        if key is not None:
            payload = mask_bytes(payload, key)
        return Frame(fin, opcode, payload)


class MessageAssembler(object):
    """Joins fragmented data frames into messages; passes control frames through."""

    def __init__(self, max_message=DEFAULT_MAX_MESSAGE):
        self.max_message = max_message
        self.opcode = None
        self.parts = []
        self.size = 0

    def add(self, frame):
        """→ (opcode, payload) for a complete message or control frame, else None."""
        if frame.opcode in CONTROL_OPCODES:
            return frame.opcode, frame.payload
        if frame.opcode == OP_CONTINUATION:
            if self.opcode is None:
                raise ProtocolError("A continuation frame without a message to continue")
        else:
            if self.opcode is not None:
                raise ProtocolError("A new message started before the previous one ended")
            self.opcode = frame.opcode
        self.size += len(frame.payload)
        if self.size > self.max_message:
            raise ProtocolError("A message larger than %d bytes" % self.max_message, CLOSE_TOO_BIG)
        self.parts.append(frame.payload)
        if not frame.fin:
            return None
        opcode, payload = self.opcode, b"".join(self.parts)
        self.opcode, self.parts, self.size = None, [], 0
        if opcode == OP_TEXT:
            try:
                payload.decode("utf-8")
            except UnicodeDecodeError:
                raise ProtocolError("A text message that is not valid UTF-8", 1007)
        return opcode, payload


# ---------------------------------------------------------------------------------------------------------
# The socket


class WebSocket(object):
    """A connected client WebSocket. ``recv`` from one thread; ``send_*`` from any thread (they are locked)."""

    def __init__(self, sock, url, leftover=b"", max_message=DEFAULT_MAX_MESSAGE, response_headers=None):
        self.sock = sock
        self.url = url
        self.response_headers = response_headers or {}
        self._decoder = FrameDecoder(max_frame=max_message)
        self._assembler = MessageAssembler(max_message=max_message)
        self._send_lock = threading.Lock()
        self._pending = list(self._decoder.feed(leftover)) if leftover else []
        self.closed = False
        self.close_code = None
        self.close_reason = ""
        self._close_sent = False
        #: Pongs received (answers to our pings): the reader uses it to tell a live connection from a dead one.
        self.pongs = 0

    @classmethod
    def connect(cls, url, headers=None, timeout=10.0, max_message=DEFAULT_MAX_MESSAGE, ssl_context=None):
        """Open a TCP (or TLS) connection and perform the upgrade. Raises OSError (refused, unreachable,
        timeout), HandshakeError (an HTTP answer other than 101) or ProtocolError."""
        secure, host, port, resource = parse_url(url)
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if secure:
                import ssl

                ctx = ssl_context or ssl.create_default_context()
                sock = ctx.wrap_socket(sock, server_hostname=host)
            key = make_key()
            sock.sendall(build_request(host, port, resource, key, headers, secure))
            head, rest = _read_head(sock)
            status, reason, response_headers = parse_response_head(head)
            if status != 101:
                raise HandshakeError(status, reason, response_headers, _read_body(sock, response_headers, rest))
            check_upgrade(status, reason, response_headers, key)
        except BaseException:
            _close_quietly(sock)
            raise
        sock.settimeout(None)
        return cls(sock, url, leftover=rest, max_message=max_message, response_headers=response_headers)

    # -- sending

    def _send(self, data):
        with self._send_lock:
            if self.closed:
                raise ConnectionClosed(self.close_code or CLOSE_ABNORMAL, self.close_reason)
            try:
                self.sock.sendall(data)
            except OSError as e:
                self._mark_closed(CLOSE_ABNORMAL, str(e))
                raise ConnectionClosed(CLOSE_ABNORMAL, str(e))

    def send_text(self, text):
        self._send(encode_frame(OP_TEXT, text.encode("utf-8")))

    def send_binary(self, data):
        self._send(encode_frame(OP_BINARY, bytes(data)))

    def ping(self, payload=b""):
        self._send(encode_frame(OP_PING, payload))

    def close(self, code=CLOSE_NORMAL, reason="", timeout=2.0):
        """Send a close frame (once), wait briefly for the server's, then close the socket."""
        if not self._close_sent and not self.closed:
            self._close_sent = True
            try:
                self._send(encode_frame(OP_CLOSE, close_payload(code, reason)))
            except ConnectionClosed:
                pass
            try:
                self.sock.settimeout(timeout)
                while not self.closed:
                    self.recv()
            except (ConnectionClosed, OSError, WebSocketError):
                pass
        self._mark_closed(self.close_code or code, self.close_reason or reason)

    def abort(self):
        """Close the socket at once (no close handshake); a blocked recv() in another thread returns."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._mark_closed(CLOSE_ABNORMAL, "aborted")

    def _mark_closed(self, code, reason):
        if not self.closed:
            self.closed = True
            self.close_code = code
            self.close_reason = reason
        _close_quietly(self.sock)

    # -- receiving

    def settimeout(self, timeout):
        self.sock.settimeout(timeout)

    def recv(self):
        """Block until the next text or binary message → (opcode, payload bytes). Pings are answered, pongs
        counted. A close frame is answered and raises ConnectionClosed(code, reason); so does a dropped socket.
        socket.timeout propagates (the connection stays usable)."""
        while True:
            while self._pending:
                frame = self._pending.pop(0)
                try:
                    msg = self._assembler.add(frame)
                except ProtocolError as e:
                    self._fail(e)
                if msg is None:
                    continue
                opcode, payload = msg
                if opcode == OP_PING:
                    try:
                        self._send(encode_frame(OP_PONG, payload))
                    except ConnectionClosed:
                        pass
                    continue
                if opcode == OP_PONG:
                    self.pongs += 1
                    continue
                if opcode == OP_CLOSE:
                    try:
                        code, reason = parse_close_payload(payload)
                    except ProtocolError as e:
                        self._fail(e)
                    if not self._close_sent:
                        self._close_sent = True
                        try:
                            echo = code if code not in (CLOSE_NO_STATUS,) else CLOSE_NORMAL
                            self._send(encode_frame(OP_CLOSE, close_payload(echo)))
                        except ConnectionClosed:
                            pass
                    self._mark_closed(code, reason)
                    raise ConnectionClosed(code, reason)
                return opcode, payload
            if self.closed:
                raise ConnectionClosed(self.close_code or CLOSE_ABNORMAL, self.close_reason)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                raise
            except OSError as e:
                self._mark_closed(CLOSE_ABNORMAL, str(e))
                raise ConnectionClosed(CLOSE_ABNORMAL, str(e))
            if not data:
                self._mark_closed(CLOSE_ABNORMAL, "the server closed the socket")
                raise ConnectionClosed(CLOSE_ABNORMAL, "the server closed the socket")
            try:
                self._pending.extend(self._decoder.feed(data))
            except ProtocolError as e:
                self._fail(e)

    def _fail(self, err):
        try:
            self._send(encode_frame(OP_CLOSE, close_payload(err.close_code, str(err)[:100])))
        except ConnectionClosed:
            pass
        self._close_sent = True
        self._mark_closed(err.close_code, str(err))
        raise err


def _read_head(sock):
    buf = b""
    while b"\r\n\r\n" not in buf:
        if len(buf) > MAX_HANDSHAKE_HEAD:
            raise ProtocolError("The handshake response head is larger than %d bytes" % MAX_HANDSHAKE_HEAD)
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionClosed(CLOSE_ABNORMAL, "the server closed the connection during the handshake")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head, rest


def _read_body(sock, headers, rest, limit=64 * 1024):
    try:
        length = int(headers.get("content-length", "-1"))
    except ValueError:
        length = -1
    body = rest
    try:
        sock.settimeout(2.0)
        while (length < 0 or len(body) < length) and len(body) < limit:
            chunk = sock.recv(4096)
            if not chunk:
                break
            body += chunk
    except OSError:
        pass
    return body[:length] if length >= 0 else body


def _close_quietly(sock):
    try:
        sock.close()
    except OSError:
        pass
