"""The plant's own CA and the broker's server certificate (DIR/certs), made with `cryptography`."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from firmware_config.passwd import write_private

CA_DAYS = 3650
SERVER_DAYS = 1825
RENEW_BEFORE_DAYS = 30
_DNS_RE = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


class CertError(ValueError):
    """A hub name is invalid or the certificate files cannot be used."""


@dataclass(frozen=True)
class CertPaths:
    ca_cert: Path
    ca_key: Path
    server_cert: Path
    server_key: Path

    @classmethod
    def in_dir(cls, directory: Path) -> CertPaths:
        """Return the certificate paths inside a provisioning directory."""
        certs = directory / "certs"
        return cls(certs / "ca.crt", certs / "ca.key", certs / "server.crt", certs / "server.key")

    def complete(self) -> bool:
        """Tell whether CA and server certificate both exist."""
        return all(p.exists() for p in (self.ca_cert, self.ca_key, self.server_cert, self.server_key))


@dataclass(frozen=True)
class CertsResult:
    paths: CertPaths
    ca_created: bool
    server_issued: bool
    names: tuple[str, ...]


def check_hub_names(names: list[str]) -> list[x509.GeneralName]:
    """Turn hub names (DNS names or IP addresses) into subjectAltName entries; raise CertError for bad ones."""
    if not names:
        raise CertError("give at least one --hub-name (the DNS name or IP address stations use to reach the hub)")
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
            continue
        except ValueError:
            pass
        if not _DNS_RE.fullmatch(name):
            raise CertError(f"--hub-name {name!r}: not a DNS name or IP address")
        entries.append(x509.DNSName(name.lower()))
    return entries


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "TourTrace"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _create_ca(paths: CertPaths) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("TourTrace plant CA"))
        .issuer_name(_name("TourTrace plant CA"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    write_private(paths.ca_key, _key_pem(key), mode=0o600)
    write_private(paths.ca_cert, cert.public_bytes(serialization.Encoding.PEM).decode(), mode=0o644)


def _issue_server(paths: CertPaths, alt_names: list[x509.GeneralName], common_name: str) -> None:
    ca_key = serialization.load_pem_private_key(paths.ca_key.read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate(paths.ca_cert.read_bytes())
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise CertError(f"{paths.ca_key}: expected an EC private key")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    write_private(paths.server_key, _key_pem(key), mode=0o640)
    write_private(paths.server_cert, cert.public_bytes(serialization.Encoding.PEM).decode(), mode=0o644)


def server_names(path: Path) -> tuple[str, ...]:
    """Return the DNS names and IP addresses a server certificate is valid for."""
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return tuple([*san.get_values_for_type(x509.DNSName), *(str(ip) for ip in san.get_values_for_type(x509.IPAddress))])


def _needs_new_server(paths: CertPaths, wanted: tuple[str, ...]) -> bool:
    if not paths.server_cert.exists() or not paths.server_key.exists():
        return True
    cert = x509.load_pem_x509_certificate(paths.server_cert.read_bytes())
    expiring = cert.not_valid_after_utc - dt.datetime.now(dt.UTC) < dt.timedelta(days=RENEW_BEFORE_DAYS)
    return expiring or set(server_names(paths.server_cert)) != set(wanted)


def init_certs(directory: Path, hub_names: list[str], *, force: bool = False) -> CertsResult:
    """Create the CA once and (re)issue the server certificate when names change, it expires soon, or force."""
    alt_names = check_hub_names(hub_names)
    wanted = tuple(str(n.value) for n in alt_names)
    paths = CertPaths.in_dir(directory)
    ca_created = not (paths.ca_cert.exists() and paths.ca_key.exists())
    if ca_created:
        _create_ca(paths)
    issue = ca_created or force or _needs_new_server(paths, wanted)
    if issue:
        _issue_server(paths, alt_names, hub_names[0])
    return CertsResult(paths, ca_created, issue, wanted)
