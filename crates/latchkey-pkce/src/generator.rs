//! The generator behind [`fill_random`](crate::fill_random): one ChaCha20 stream per
//! thread, keyed with 32 bytes from the operating system and re-keyed from it after every
//! [`RESEED_AFTER_BYTES`] of output and whenever the process id has changed (a forked
//! child never continues its parent's stream). A `getrandom` per draw was the largest
//! single cost of a code exchange: on the benchmark machine 64 bytes took 0.62–0.68 µs,
//! against 0.05–0.07 µs from the stream plus ~0.14 µs for the process id (itself a
//! system call, paid on every draw for fork safety). The construction is that of the
//! generators in OpenSSL and BoringSSL: a cryptographic stream keyed from the kernel, with
//! fork detection. A failed read of the operating system's source is a [`RandomError`]; the
//! generator is then left unkeyed, so no output ever comes from a stale key.

use std::cell::RefCell;

use rand::rngs::OsRng;
use rand::{RngCore as _, SeedableRng as _, TryRngCore as _};
use rand_chacha::ChaCha20Rng;

use crate::random::RandomError;

/// Output after which a thread's stream is re-keyed from the operating system: 64 draws
/// of an access and refresh token pair. It bounds what one leak of a thread's state could
/// reveal, at the cost of one 32-byte `getrandom` per 4 KiB drawn.
pub(crate) const RESEED_AFTER_BYTES: usize = 4096;

/// One thread's stream: unkeyed until its first draw.
pub(crate) struct Generator {
    keyed: Option<Keyed>,
}

/// A keyed stream and what decides when it is re-keyed.
struct Keyed {
    stream: ChaCha20Rng,
    /// The process the key was drawn in.
    pid: u32,
    /// Bytes output since the key was drawn.
    drawn: usize,
}

impl Generator {
    /// An unkeyed generator; the first [`fill`](Self::fill) keys it.
    pub(crate) const fn new() -> Self {
        Self { keyed: None }
    }

    /// Fills `buf` from the stream, first drawing a new key with `seed` if there is none,
    /// `pid` is not the process the key was drawn in, or the key has output
    /// [`RESEED_AFTER_BYTES`] (counting `buf`).
    ///
    /// # Errors
    ///
    /// Whatever `seed` returns; the generator is then unkeyed and `buf` must not be used.
    pub(crate) fn fill(
        &mut self,
        buf: &mut [u8],
        pid: u32,
        seed: impl FnOnce(&mut [u8; 32]) -> Result<(), RandomError>,
    ) -> Result<(), RandomError> {
        let fresh = self.keyed.as_ref().is_some_and(|k| {
            k.pid == pid && k.drawn.saturating_add(buf.len()) <= RESEED_AFTER_BYTES
        });
        if !fresh {
            // Forget the old key before asking for a new one: should that fail, nothing
            // is left to draw from.
            self.keyed = None;
            let mut key = [0u8; 32];
            seed(&mut key)?;
            self.keyed = Some(Keyed {
                stream: ChaCha20Rng::from_seed(key),
                pid,
                drawn: 0,
            });
        }
        let keyed = self.keyed.as_mut().ok_or(RandomError)?;
        keyed.stream.fill_bytes(buf);
        keyed.drawn = keyed.drawn.saturating_add(buf.len());
        Ok(())
    }
}

thread_local! {
    static GENERATOR: RefCell<Generator> = const { RefCell::new(Generator::new()) };
}

/// Fills `buf` straight from the operating system's source.
fn fill_from_os(buf: &mut [u8]) -> Result<(), RandomError> {
    OsRng.try_fill_bytes(buf).map_err(|_| RandomError)
}

/// Fills `buf` from this thread's generator. Should the generator be unreachable (a draw
/// from inside a draw cannot happen, but is not worth a panic), the operating system's
/// source fills `buf` directly.
pub(crate) fn fill(buf: &mut [u8]) -> Result<(), RandomError> {
    let pid = std::process::id();
    GENERATOR
        .try_with(|generator| match generator.try_borrow_mut() {
            Ok(mut generator) => generator.fill(buf, pid, |key| fill_from_os(key)),
            Err(_) => fill_from_os(buf),
        })
        .unwrap_or_else(|_| fill_from_os(buf))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A seed source that hands out `[n; 32]` for n = 1, 2, … and counts its calls.
    struct Seeds(u8);

    impl Seeds {
        fn next(&mut self, key: &mut [u8; 32]) -> Result<(), RandomError> {
            self.0 += 1;
            *key = [self.0; 32];
            Ok(())
        }
    }

    fn draw(generator: &mut Generator, pid: u32, seeds: &mut Seeds) -> [u8; 64] {
        let mut out = [0u8; 64];
        generator.fill(&mut out, pid, |k| seeds.next(k)).unwrap();
        out
    }

    #[test]
    fn the_first_draw_keys_the_generator_and_later_ones_continue_its_stream() {
        let mut generator = Generator::new();
        let mut seeds = Seeds(0);
        let first = draw(&mut generator, 7, &mut seeds);
        let second = draw(&mut generator, 7, &mut seeds);
        assert_eq!(seeds.0, 1, "one key for both draws");
        assert_ne!(first, second);
        // The output is the ChaCha20 stream of the key the source gave.
        let mut expected = [0u8; 128];
        ChaCha20Rng::from_seed([1; 32]).fill_bytes(&mut expected);
        assert_eq!(first[..], expected[..64]);
        assert_eq!(second[..], expected[64..]);
    }

    #[test]
    fn a_new_process_id_rekeys_so_a_forked_child_never_repeats_its_parent() {
        let mut parent = Generator::new();
        let mut seeds = Seeds(0);
        draw(&mut parent, 100, &mut seeds);
        // A fork copies the parent's generator into the child, whose process id differs.
        let mut child = Generator {
            keyed: parent.keyed.as_ref().map(|k| Keyed {
                stream: k.stream.clone(),
                pid: k.pid,
                drawn: k.drawn,
            }),
        };
        let from_parent = draw(&mut parent, 100, &mut seeds);
        let from_child = draw(&mut child, 101, &mut seeds);
        assert_eq!(seeds.0, 2, "only the child drew a new key");
        assert_ne!(from_parent, from_child);
    }

    #[test]
    fn the_key_is_replaced_after_reseed_after_bytes_of_output() {
        let mut generator = Generator::new();
        let mut seeds = Seeds(0);
        for _ in 0..RESEED_AFTER_BYTES / 64 {
            draw(&mut generator, 1, &mut seeds);
        }
        assert_eq!(
            seeds.0, 1,
            "exactly RESEED_AFTER_BYTES came from the first key"
        );
        draw(&mut generator, 1, &mut seeds);
        assert_eq!(seeds.0, 2);
        // A draw larger than the limit is served from a key of its own.
        let mut big = vec![0u8; RESEED_AFTER_BYTES + 1];
        generator.fill(&mut big, 1, |k| seeds.next(k)).unwrap();
        assert_eq!(seeds.0, 3);
        draw(&mut generator, 1, &mut seeds);
        assert_eq!(seeds.0, 4);
    }

    #[test]
    fn a_failed_seed_is_an_error_and_leaves_no_key_to_draw_from() {
        let mut generator = Generator::new();
        let mut seeds = Seeds(0);
        draw(&mut generator, 1, &mut seeds);
        // The fork case: the old key may not be used, and the source fails.
        let mut out = [0u8; 64];
        assert_eq!(
            generator.fill(&mut out, 2, |_| Err(RandomError)),
            Err(RandomError)
        );
        assert!(generator.keyed.is_none());
        // The next draw asks the source again instead of using anything stale.
        draw(&mut generator, 2, &mut seeds);
        assert_eq!(seeds.0, 2);
    }

    #[test]
    fn threads_draw_from_separate_streams() {
        let mut here = [0u8; 32];
        fill(&mut here).unwrap();
        let there = std::thread::spawn(|| {
            let mut there = [0u8; 32];
            fill(&mut there).unwrap();
            there
        })
        .join()
        .unwrap();
        assert_ne!(here, there);
        assert_ne!(here, [0u8; 32]);
    }
}
