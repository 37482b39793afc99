"""How passwords are stored: Argon2id at the cost OWASP recommends as its baseline.

Why not Django's default (PBKDF2-SHA256, a million rounds): checking one password cost 0.58 s of
CPU here, and every login and every HTTP Basic request checks one. Three hundred users logging
in kept both cores busy for minutes (the load test, issue 15), and a client that signs each
call with Basic (the API allows it) costs the server that much per call. Argon2id is
memory-hard, so an attacker's GPUs gain far less over our CPU than against PBKDF2. OWASP's
Password Storage Cheat Sheet names Argon2id first and gives 19 MiB, two passes and one lane as
its minimum configuration; that costs 33 ms of CPU here (Django's own Argon2 defaults, 100 MiB
and eight lanes, cost 0.24 s).

Stored PBKDF2 hashes still verify, and Django rewrites each one as Argon2id at its owner's next
login (``PASSWORD_HASHERS`` lists this hasher first). Raising a figure here re-hashes likewise.
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Django's Argon2 hasher (Argon2id, its ``argon2$`` format) at OWASP's baseline cost."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
