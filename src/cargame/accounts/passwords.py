"""Password hashing and the minimum strength a new password must have."""

from __future__ import annotations

import functools
import re

from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 10  # length is what makes a password hard to guess (NIST SP 800-63B)
MAX_LENGTH = 128  # longer adds nothing and makes every hash slower to compute
MIN_DISTINCT_CHARACTERS = 5
HASH_METHOD = "scrypt"  # salted, memory-hard; the hash string records its own parameters
USERNAME_PATTERN = re.compile(r"[a-z0-9_.-]{3,32}")

# The passwords people pick first; each of these falls to the very first guesses of an attacker.
COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password123",
        "passw0rd",
        "1234567890",
        "0123456789",
        "12345678910",
        "qwertyuiop",
        "qwerty1234",
        "qwerty123456",
        "1q2w3e4r5t",
        "1qaz2wsx3edc",
        "iloveyou123",
        "letmein123",
        "welcome123",
        "administrator",
        "abcdefghij",
        "abcd123456",
        "football123",
        "baseball123",
        "sunshine123",
        "princess123",
        "changeme123",
        "trustno1234",
        "beattheai123",
        "cargame123",
        "lamborghini",
        "ferrari123",
        "porsche911",
        "mustang123",
        "corvette123",
    }
)


def normalise_username(username: str) -> str:
    """Usernames are case-insensitive: stored and compared in lower case, without spaces."""
    return username.strip().lower()


def username_problem(username: str) -> str | None:
    """Why a (normalised) username cannot be registered, or None."""
    if not USERNAME_PATTERN.fullmatch(username):
        return "Use 3 to 32 characters: letters, digits, dot, dash or underscore."
    return None


def password_problems(password: str, username: str = "") -> list[str]:
    """Every reason a new password is too weak, in words a player understands ([] if fine)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Use at least {MIN_LENGTH} characters (you used {len(password)}).")
    if len(password) > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
    if password.lower() in COMMON_PASSWORDS:
        problems.append("This is one of the most common passwords; choose another.")
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        problems.append(f"Use at least {MIN_DISTINCT_CHARACTERS} different characters.")
    if username and len(username) >= 3 and username.lower() in password.lower():
        problems.append("Do not put your username in your password.")
    return problems


def hash_password(password: str) -> str:
    """A salted scrypt hash of the password."""
    return generate_password_hash(password, method=HASH_METHOD)


@functools.cache
def _unknown_user_hash() -> str:
    # Checked when the username does not exist, so that a wrong username takes as long as a
    # wrong password and response times do not tell which usernames are registered.
    return hash_password("no such user: timing equaliser")


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if `password` matches; spends the same time when there is no user."""
    if password_hash is None:
        check_password_hash(_unknown_user_hash(), password)
        return False
    return check_password_hash(password_hash, password)
