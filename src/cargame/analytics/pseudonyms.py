"""Players in analytics are pseudonyms: a keyed hash of the user id, never a username."""

from __future__ import annotations

import hashlib
import hmac

GUEST = "guest"
DERIVATION = b"cargame-analytics-pseudonym"  # when no key is configured: derived from the secret
PSEUDONYM_CHARS = 16  # 64 bits: unique among any number of players we will have


def pseudonym_key(configured: str, secret_key: str) -> bytes:
    """`[analytics] pseudonym_key`, or one derived from the app's secret key when it is empty."""
    if configured:
        return configured.encode()
    return hmac.new(secret_key.encode(), DERIVATION, hashlib.sha256).digest()


def pseudonym(user_id: int | None, key: bytes) -> str:
    """A stable, unlinkable name for a player: "p-" and 16 hex digits; "guest" for guests."""
    if user_id is None:
        return GUEST
    digest = hmac.new(key, str(user_id).encode(), hashlib.sha256).hexdigest()
    return f"p-{digest[:PSEUDONYM_CHARS]}"
