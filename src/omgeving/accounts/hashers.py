"""Argon2id with parameters for a server that checks many logins, not a laptop.

Django's defaults (102400 KiB memory, 2 passes, 8 lanes) cost ~100 MiB and ~0.2 s CPU per
check: 16 parallel logins took a worker to 872 MB. We use the OWASP Password Storage Cheat
Sheet's first Argon2id option: 19 MiB memory, 2 passes, 1 lane (about 20-40 ms here). The
algorithm name stays `argon2`, so a hash with other parameters is re-hashed with these at
the user's next successful login (Django's `must_update`).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class ServerArgon2PasswordHasher(Argon2PasswordHasher):
    memory_cost = 19 * 1024  # KiB
    time_cost = 2
    parallelism = 1
