import hashlib, hmac, time

def verify(secret: bytes, headers, body: bytes) -> bool:
    timestamp = headers.get("X-Notify-Timestamp", "")
    expected = "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    fresh = timestamp.isdigit() and abs(time.time() - int(timestamp)) < 300
    return fresh and hmac.compare_digest(headers.get("X-Notify-Signature", ""), expected)
