"""Passwords, secrets at rest and random tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from export_hub.settings import Settings

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """Argon2id hash with the library's current parameters."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified against when the e-mail is unknown, so a miss costs the same time.
DUMMY_PASSWORD_HASH = _hasher.hash("export-hub-dummy-password")


def new_token(nbytes: int = 32) -> str:
    """A URL-safe token from the OS CSPRNG (``nbytes`` * 8 bits of entropy)."""
    return secrets.token_urlsafe(nbytes)


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class SecretBox:
    """Encrypts secrets at rest (refresh tokens) with rotatable Fernet keys.

    The first key encrypts; every key decrypts. To rotate, put a new key first
    and call :meth:`rotate` on each stored value.
    """

    def __init__(self, keys: list[str]):
        if not keys:
            raise ValueError("at least one secret key is required")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        """The box for ``security.secret_keys``; raises
        :class:`~export_hub.settings.SettingsError` when none is set."""
        return cls(settings.security.keys())

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError(
                "secret cannot be decrypted with the configured keys"
            ) from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt ``token`` under the first (newest) key."""
        return self._fernet.rotate(token.encode()).decode()


def generate_fernet_key() -> str:
    return Fernet.generate_key().decode()
