//! The engine's one random generator (SplitMix64): every generated name, UID,
//! IP and jitter comes from here, so a seed fixes a whole session.

#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

/// The alphabet apimachinery's `rand.String` and `SafeEncodeString` use
/// (no vowels, no confusable digits): `-7f8b9c-xk2pm` suffixes.
pub const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed ^ 0x9E37_79B9_7F4A_7C15 }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        // Lemire's multiply-shift; the bias is negligible for our ranges.
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// `rand.String(n)` of apimachinery: the generateName suffix.
    pub fn string(&mut self, n: usize) -> String {
        (0..n).map(|_| ALPHANUMS[self.below(ALPHANUMS.len() as u64) as usize] as char).collect()
    }

    /// A version-4 UUID, as the API server assigns to metadata.uid.
    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
        let a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
        format!("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xFFFF, a & 0xFFFF, b >> 48, b & 0xFFFF_FFFF_FFFF)
    }
}

/// FNV-1a 32-bit, the hash behind pod-template-hash and controller revisions.
pub fn fnv32a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= *b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// apimachinery's `rand.SafeEncodeString`: maps each character of a decimal
/// string onto [`ALPHANUMS`], as `ComputeHash` results are encoded.
pub fn safe_encode(s: &str) -> String {
    s.bytes().map(|b| ALPHANUMS[b as usize % ALPHANUMS.len()] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        assert_eq!(a.string(5), b.string(5));
        assert_eq!(a.uuid(), b.uuid());
        let u = Rng::new(1).uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
    }

    #[test]
    fn below_in_range() {
        let mut r = Rng::new(3);
        for _ in 0..1000 {
            assert!(r.below(10) < 10);
            let x = r.range(30000, 32767);
            assert!((30000..=32767).contains(&x));
        }
    }

    #[test]
    fn safe_encode_known_value() {
        // pod-template-hash strings only use the safe alphabet.
        let s = safe_encode(&fnv32a(b"x").to_string());
        assert!(s.bytes().all(|c| ALPHANUMS.contains(&c)));
    }
}
