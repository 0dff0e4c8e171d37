//! Lowercase hex, and the SHA-256 digests shown as hex: token digests in the configuration
//! and the audit ledger's hashes.

use sha2::{Digest, Sha256};

/// `bytes` as lowercase hex digits.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of `bytes` as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}
