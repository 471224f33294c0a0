//! Base64 (RFC 4648), the one implementation the project uses: the
//! standard alphabet with padding for Secret data, ConfigMap binaryData and
//! tokens; the URL-safe alphabet without padding for share links. Decoding
//! reads either alphabet.

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn encode_with(data: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = (chunk[0] as u32) << 16 | (*chunk.get(1).unwrap_or(&0) as u32) << 8 | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 with padding (`YWI=`).
pub fn encode(data: &[u8]) -> String {
    encode_with(data, STANDARD, true)
}

/// URL-safe base64 without padding (`-` and `_`, no `=`).
pub fn encode_url(data: &[u8]) -> String {
    encode_with(data, URL_SAFE, false)
}

fn sextet(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Decodes up to the first `=`; a character of neither alphabet is an
/// error carrying it and its 1-based position.
pub fn decode(s: &str) -> Result<Vec<u8>, (char, usize)> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for (i, c) in s.bytes().enumerate() {
        if c == b'=' {
            break;
        }
        let v = sextet(c).ok_or((c as char, i + 1))?;
        acc = acc << 6 | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// Decodes leniently (padding, line breaks and stray characters are
/// skipped) into text, as the kubelet and kubectl show stored data.
pub fn decode_text(s: &str) -> String {
    let clean: String = s.chars().filter(|c| c.is_ascii() && sextet(*c as u8).is_some()).collect();
    String::from_utf8_lossy(&decode(&clean).unwrap_or_default()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_with_padding() {
        assert_eq!(encode(b"admin123"), "YWRtaW4xMjM=");
        assert_eq!(encode(b"ab"), "YWI=");
        assert_eq!(encode(b""), "");
    }

    #[test]
    fn decodes_text_leniently() {
        assert_eq!(decode_text("YWRtaW4xMjM="), "admin123");
        assert_eq!(decode_text(&encode(b"postgres")), "postgres");
        assert_eq!(decode_text("YWRt\naW4x MjM="), "admin123");
    }

    #[test]
    fn url_safe_round_trips() {
        for n in 0..40u8 {
            let data: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(decode(&encode_url(&data)).unwrap(), data);
            assert!(!encode_url(&data).contains(['=', '+', '/']));
        }
        assert_eq!(decode("YW*"), Err(('*', 3)));
    }
}
