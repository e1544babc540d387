"""A private Dovecot IMAP server for tests: its own config, TLS certificate, users and mail
store in a temporary directory, on a free port (the system's dovecot is never touched)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .natsserver import free_port, wait_for_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (also the CA the client is told to trust) and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


class Dovecot:
    """IMAPS (TLS only) on 127.0.0.1:`port`; `users` maps a login to its password."""

    def __init__(self, root: Path, users: dict[str, str]) -> None:
        self.root = root
        self.users = users
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        # its sockets live here: a unix socket's path must stay under 108 bytes, which a test's
        # own directory (pytest-of-root/pytest-N/popen-gwN/test_name0/...) can exceed
        self.run_dir = Path(tempfile.mkdtemp(prefix="dc-", dir="/tmp"))

    @property
    def ca_file(self) -> Path:
        return self.root / "cert.pem"

    def start(self) -> Dovecot:
        self.root.mkdir(parents=True, exist_ok=True)
        cert, key = self_signed(self.root)
        (self.root / "users").write_text(
            "".join(f"{user}:{{PLAIN}}{password}\n" for user, password in self.users.items())
        )
        config = self.root / "dovecot.conf"
        config.write_text(self._config(cert, key))
        log = open(self.root / "dovecot.out", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)], stdout=log, stderr=log, start_new_session=True
        )
        try:
            wait_for_port(self.port, timeout=20)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"dovecot did not start: {self.log()}") from None
        return self

    def _mail_owner(self) -> tuple[int, int]:
        """Dovecot serves no mail as root: as root, the store belongs to `nobody`, in a
        directory of its own under /tmp (the test's own directory is closed to others)."""
        if os.getuid() != 0:
            self.store = self.root
            return os.getuid(), os.getgid()
        nobody = pwd.getpwnam("nobody")
        self.store = Path(tempfile.mkdtemp(prefix="sportello-dovecot-"))
        os.chown(self.store, nobody.pw_uid, nobody.pw_gid)
        return nobody.pw_uid, nobody.pw_gid

    def _config(self, cert: Path, key: Path) -> str:
        root = self.root
        uid, gid = self._mail_owner()
        store = self.store
        return f"""
base_dir = {self.run_dir}
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes
auth_mechanisms = plain
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:{store}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
passdb {{
  driver = passwd-file
  args = {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={store}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.port}
    ssl = yes
  }}
}}
service auth {{
  user = {"root" if os.getuid() == 0 else "$default_internal_user"}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0600
  }}
}}
"""

    def log(self) -> str:
        parts = [self.root / "dovecot.log", self.root / "dovecot.out"]
        return "\n".join(p.read_text(errors="replace")[-3000:] for p in parts if p.exists())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
        if getattr(self, "store", self.root) != self.root:
            shutil.rmtree(self.store, ignore_errors=True)
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def wait_until(predicate: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.05)
