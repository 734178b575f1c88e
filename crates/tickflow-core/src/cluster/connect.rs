//! Connections: the connection string parsed once, TLS through rustls with the ring
//! provider (no OpenSSL in the addon), a pool for statements and a plain client for the
//! node's session.

use std::sync::Arc;

use tokio_postgres::config::{Host, SslMode};
use tokio_postgres::Config;

use super::ClusterError;

pub(crate) struct Target {
    pub config: Config,
    pub tls: tokio_postgres_rustls::MakeRustlsConnect,
    /// host:port/db, without the password, for messages.
    pub label: String,
}

pub(crate) fn target(connection_string: &str) -> Result<Target, ClusterError> {
    // libpq's `sslmode=verify-full` / `verify-ca` are not known to tokio-postgres: both
    // mean "require, and check the certificate", which is what rustls does anyway.
    let (text, verify) = strip_verify(connection_string);
    let mut config: Config = text
        .parse()
        .map_err(|e: tokio_postgres::Error| ClusterError::Config(e.to_string()))?;
    if config.get_hosts().is_empty() {
        return Err(ClusterError::Config("it names no host".into()));
    }
    if config.get_application_name().is_none() {
        config.application_name("tickflow");
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(10));
    }
    config.keepalives_idle(std::time::Duration::from_secs(5));
    let host = match &config.get_hosts()[0] {
        Host::Tcp(h) => h.clone(),
        Host::Unix(p) => p.display().to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let label = format!(
        "{host}:{port}/{}",
        config
            .get_dbname()
            .unwrap_or(config.get_user().unwrap_or("postgres"))
    );
    let tls = tls(verify || config.get_ssl_mode() == SslMode::Disable);
    if verify {
        config.ssl_mode(SslMode::Require);
    }
    Ok(Target { config, tls, label })
}

/// `text` with its passwords replaced by `***`, for an error that must show it: a URL's
/// `user:password@` (up to the last `@` before its parameters: a password may hold `/` or
/// `@`) and parameters whose name holds "pass", or the keyword form's `password=…`.
pub fn redact(text: &str) -> String {
    let is_secret = |name: &str| name.to_ascii_lowercase().contains("pass");
    let looks_like_keywords = text.split_once('=').is_some_and(|(k, _)| {
        !k.trim().is_empty()
            && !k.contains([':', '/', '@'])
            && !k.trim().contains(char::is_whitespace)
    });
    if looks_like_keywords {
        let mut out = String::new();
        let mut rest = text;
        while let Some((key, after)) = rest.split_once('=') {
            out.push_str(key);
            out.push('=');
            let value = after.trim_start();
            out.push_str(&after[..after.len() - value.len()]);
            let end = value_end(value);
            out.push_str(if is_secret(key.trim()) {
                "***"
            } else {
                &value[..end]
            });
            rest = &value[end..];
        }
        out.push_str(rest);
        return out;
    }
    let start = text.find("://").map_or(0, |i| i + 3);
    let (head, rest) = text.split_at(start);
    let query = rest.find('?').unwrap_or(rest.len());
    let (user, tail) = match rest[..query].rfind('@').or_else(|| rest.rfind('@')) {
        Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    let mut out = head.to_string();
    if let Some(user) = user {
        match user.split_once(':') {
            Some((name, pass)) if !pass.is_empty() => out.push_str(&format!("{name}:***@")),
            _ => out.push_str(&format!("{user}@")),
        }
    }
    match tail.split_once('?') {
        Some((path, params)) => {
            let params: Vec<String> = params
                .split('&')
                .map(|p| match p.split_once('=') {
                    Some((k, _)) if is_secret(&percent_decoded(k)) => format!("{k}=***"),
                    _ => p.to_string(),
                })
                .collect();
            out.push_str(&format!("{path}?{}", params.join("&")));
        }
        None => out.push_str(tail),
    }
    out
}

/// Where a keyword's value ends: after its closing quote, else at a space.
fn value_end(value: &str) -> usize {
    let quoted = value.starts_with('\'');
    let mut chars = value.char_indices().skip(usize::from(quoted));
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '\'' if quoted => return i + 1,
            c if !quoted && c.is_whitespace() => return i,
            _ => {}
        }
    }
    value.len()
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn strip_verify(s: &str) -> (String, bool) {
    for mode in ["verify-full", "verify-ca"] {
        for form in [format!("sslmode={mode}")] {
            if s.contains(&form) {
                return (s.replace(&form, "sslmode=require"), true);
            }
        }
    }
    (s.to_string(), false)
}

/// `sslmode=require` means what libpq means: encrypted, certificate not checked; the
/// verify modes check it against the Mozilla roots.
fn tls(verify: bool) -> tokio_postgres_rustls::MakeRustlsConnect {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions");
    let config = if verify {
        let roots =
            rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth()
    };
    tokio_postgres_rustls::MakeRustlsConnect::new(config)
}

#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

pub(crate) fn pool(target: &Target, size: usize) -> Result<deadpool_postgres::Pool, ClusterError> {
    let manager = deadpool_postgres::Manager::from_config(
        target.config.clone(),
        target.tls.clone(),
        deadpool_postgres::ManagerConfig {
            recycling_method: deadpool_postgres::RecyclingMethod::Fast,
        },
    );
    deadpool_postgres::Pool::builder(manager)
        .max_size(size.max(1))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .wait_timeout(Some(std::time::Duration::from_secs(30)))
        .create_timeout(Some(std::time::Duration::from_secs(10)))
        .build()
        .map_err(|e| ClusterError::Config(e.to_string()))
}
