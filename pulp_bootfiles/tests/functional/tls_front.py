"""
An nginx TLS front that requires a client certificate, for remotes' TLS settings.

A CA, a server certificate for 127.0.0.1 and a client certificate are made with
`cryptography`; nginx (the Debian package) listens on a free port with
`ssl_verify_client on` and proxies to `upstream` (the content app). Its access log records
each request's status and the client certificate's subject.
"""

import datetime
import ipaddress
import os
import shutil
import socket
import subprocess
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CONFIG = """
worker_processes 1;
pid {dir}/nginx.pid;
{user}
events {{ worker_connections 64; }}
http {{
    log_format capsule '$request_uri $status $ssl_client_s_dn';
    access_log {dir}/access.log capsule;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {dir}/server.pem;
        ssl_certificate_key {dir}/server.key;
        ssl_client_certificate {dir}/ca.pem;
        ssl_verify_client on;
        location / {{
            proxy_pass {upstream};
            proxy_buffering off;
        }}
    }}
}}
"""


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _pem(key):
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _certificate(subject, key, issuer, issuer_key, *, ca=False, server=False):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    certificate = builder.sign(issuer_key, hashes.SHA256())
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def nginx_binary():
    """nginx, also where Debian puts it outside a user's PATH; None when not installed."""
    return shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class TLSFront:
    """`with TLSFront(directory, upstream=...) as front:` nginx runs at `front.origin`."""

    client_name = "capsule-client"

    def __init__(self, directory, upstream):
        self.dir = directory
        self.port = _free_port()
        self.origin = f"https://127.0.0.1:{self.port}"
        ca_key, server_key, client_key = _key(), _key(), _key()
        self.ca_pem = _certificate("Capsule Test CA", ca_key, "Capsule Test CA", ca_key, ca=True)
        server_pem = _certificate("127.0.0.1", server_key, "Capsule Test CA", ca_key, server=True)
        self.client_cert_pem = _certificate(self.client_name, client_key, "Capsule Test CA", ca_key)
        self.client_key_pem = _pem(client_key)
        (directory / "ca.pem").write_text(self.ca_pem)
        (directory / "server.pem").write_text(server_pem)
        (directory / "server.key").write_text(_pem(server_key))
        user = "user root;" if os.geteuid() == 0 else ""  # workers must read the keys here
        config = CONFIG.format(dir=directory, port=self.port, upstream=upstream, user=user)
        (directory / "nginx.conf").write_text(config)
        self.process = None

    def access_log(self):
        return (self.dir / "access.log").read_text()

    def __enter__(self):
        self.process = subprocess.Popen(
            [nginx_binary(), "-p", str(self.dir), "-e", str(self.dir / "error.log")]
            + ["-c", str(self.dir / "nginx.conf"), "-g", "daemon off;"]
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {(self.dir / 'error.log').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("nginx did not start listening in 10 s")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=10)
