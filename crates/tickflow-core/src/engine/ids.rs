//! Public execution ids: `exec_` + 23 characters of lower-case Crockford base32, the
//! system clock's milliseconds (48 bits, 10 characters) then 62 random bits (13
//! characters, one spare bit). Fixed width and an alphabet in ASCII order make text order time order;
//! Crockford's alphabet has no i, l, o or u, so an id read aloud or retyped stays one id.
//! The random part is what keeps two stores, processes or machines apart: it is seeded
//! from the OS, never from the engine's (seeded, deterministic) jitter generator.
//!
//! The time part is the system clock even under a manual clock: ids meet in logs and
//! databases that other processes write, where a test's invented time means nothing.
//! Within one generator ids strictly increase: in the same millisecond (or if the clock
//! steps back) the last random part is incremented instead, as ULID's monotonic mode does.

use std::hash::{BuildHasher, Hasher};

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const TIME_CHARS: usize = 10;
const RANDOM_CHARS: usize = 13;
/// Characters after the prefix's underscore.
pub const ID_CHARS: usize = TIME_CHARS + RANDOM_CHARS;
const RANDOM_MASK: u64 = u64::MAX >> 1;

#[derive(Clone, Debug)]
pub struct IdGen {
    rng: u64,
    last_ms: u64,
    last_random: u64,
}

impl IdGen {
    /// Seeded from std's per-process OS randomness (RandomState), the clock and the pid.
    pub fn from_os() -> IdGen {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        h.write_u128(nanos);
        h.write_u32(std::process::id());
        IdGen::seeded(h.finish())
    }

    pub fn seeded(seed: u64) -> IdGen {
        IdGen {
            rng: seed | 1,
            last_ms: 0,
            last_random: 0,
        }
    }

    fn random(&mut self) -> u64 {
        // xorshift64*: spread, not secrecy.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// The next id's (time, random) parts at `now_ms`, greater than the last ones.
    fn next_parts(&mut self, now_ms: u64) -> (u64, u64) {
        let now_ms = now_ms.min((1 << 48) - 1);
        if now_ms > self.last_ms || self.last_random >= RANDOM_MASK {
            self.last_ms = now_ms.max(self.last_ms + u64::from(now_ms <= self.last_ms));
            // Two top bits clear: room to count up within one millisecond.
            self.last_random = self.random() >> 2;
        } else {
            self.last_random += 1;
        }
        (self.last_ms, self.last_random)
    }

    /// Appends the next id's 23 characters, written by hand: `format!` cost a sixth of a fire.
    pub fn push_next(&mut self, out: &mut String, now_ms: u64) {
        let (ms, random) = self.next_parts(now_ms);
        let mut buf = [0u8; ID_CHARS];
        encode(&mut buf[..TIME_CHARS], ms);
        encode(&mut buf[TIME_CHARS..], random);
        out.push_str(std::str::from_utf8(&buf).unwrap_or_default());
    }
}

/// `n` in base32, most significant digit first, filling `out`.
fn encode(out: &mut [u8], mut n: u64) {
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n & 31) as usize];
        n >>= 5;
    }
}

/// The system clock in milliseconds since 1970 (0 before it).
pub fn system_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(g: &mut IdGen, ms: u64) -> String {
        let mut s = String::new();
        g.push_next(&mut s, ms);
        s
    }

    #[test]
    fn encodes_fixed_width_base32_in_order() {
        let mut buf = [0u8; 4];
        encode(&mut buf, 0);
        assert_eq!(&buf, b"0000");
        encode(&mut buf, 32 * 32 + 31);
        assert_eq!(&buf, b"010z");
        let mut g = IdGen::seeded(7);
        let a = id(&mut g, 1_764_000_000_000);
        assert_eq!(a.len(), ID_CHARS);
        assert!(a.bytes().all(|b| ALPHABET.contains(&b)));
        // The time part reads back as the milliseconds.
        let ms = a[..TIME_CHARS].bytes().fold(0u64, |n, b| {
            n * 32 + ALPHABET.iter().position(|x| *x == b).unwrap() as u64
        });
        assert_eq!(ms, 1_764_000_000_000);
    }

    #[test]
    fn ids_increase_within_a_millisecond_and_when_the_clock_steps_back() {
        let mut g = IdGen::seeded(42);
        let mut last = String::new();
        for ms in [
            5_000u64,
            5_000,
            5_000,
            5_001,
            4_000,
            4_000,
            9_999_999_999_999,
        ] {
            let next = id(&mut g, ms);
            assert!(next > last, "{next} after {last}");
            last = next;
        }
    }

    #[test]
    fn the_random_part_rolls_over_into_the_next_millisecond() {
        let mut g = IdGen::seeded(3);
        let first = id(&mut g, 1_000);
        g.last_random = RANDOM_MASK;
        let next = id(&mut g, 1_000);
        assert!(next > first);
        assert_eq!(g.last_ms, 1_001);
    }

    #[test]
    fn generators_seeded_from_the_os_differ() {
        let (mut a, mut b) = (IdGen::from_os(), IdGen::from_os());
        assert_ne!(id(&mut a, 1_000), id(&mut b, 1_000));
    }
}
