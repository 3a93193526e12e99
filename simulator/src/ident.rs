//! Identifiers the store mints: random version-4 UUIDs for new records,
//! random digits and letters for business numbers,
//! content-derived strong ETags (stable across restarts, so seeded records
//! keep the same ETag), and opaque list cursors that encode the last key seen.

use serde_json::{Map, Value};

/// A fresh random (version 4) UUID in its hyphenated lowercase form.
pub fn new_uuid() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex(&bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// `len` random decimal digits, for generated business numbers.
pub fn random_digits(len: usize) -> String {
    (0..len)
        .map(|_| char::from(b'0' + rand::random_range(0..10u8)))
        .collect()
}

/// `len` random characters from `[A-Za-z0-9]`, for external record ids.
pub fn random_alphanumeric(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
        .collect()
}

/// The strong ETag (quoted) of a record: a 64-bit FNV-1a hash of its JSON text.
pub fn etag_of(record: &Map<String, Value>) -> String {
    let text = serde_json::to_string(record).unwrap_or_default();
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("\"{hash:016x}\"")
}

/// Encodes the last key of a page as an opaque cursor.
pub fn encode_cursor(last_key: &str) -> String {
    hex(last_key.as_bytes())
}

/// Decodes a cursor made by [`encode_cursor`]; `None` when it is not one.
pub fn decode_cursor(cursor: &str) -> Option<String> {
    if cursor.is_empty() || !cursor.len().is_multiple_of(2) {
        return None;
    }
    let bytes = (0..cursor.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(cursor.get(at..at + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()?;
    String::from_utf8(bytes).ok()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn uuids_are_version_4() {
        let id = new_uuid();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(id, new_uuid());
    }

    #[test]
    fn random_numbers_have_the_asked_shape() {
        let digits = random_digits(8);
        assert_eq!(digits.len(), 8);
        assert!(digits.bytes().all(|b| b.is_ascii_digit()));
        let text = random_alphanumeric(15);
        assert_eq!(text.len(), 15);
        assert!(text.bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn etags_follow_content() {
        let record = |name: &str| {
            json!({"id": "1", "name": name})
                .as_object()
                .cloned()
                .unwrap()
        };
        let a = record("a");
        assert_eq!(etag_of(&a), etag_of(&a.clone()));
        assert_ne!(etag_of(&a), etag_of(&record("b")));
        assert!(etag_of(&a).starts_with('"') && etag_of(&a).ends_with('"'));
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let key = "3f0c2a9e-0000-4000-8000-000000000001";
        assert_eq!(decode_cursor(&encode_cursor(key)).as_deref(), Some(key));
        assert_eq!(decode_cursor("zz"), None);
        assert_eq!(decode_cursor("abc"), None);
        assert_eq!(decode_cursor(""), None);
        assert_eq!(decode_cursor("é0"), None);
    }
}
