//! The generator behind [`fill_random`](crate::fill_random): one ChaCha20 stream per
//! thread, keyed with 32 bytes from the operating system and re-keyed from it after every
//! [`RESEED_AFTER_BYTES`] of output and after the process has forked (a child never
//! continues its parent's stream). A `getrandom` per draw was the largest single cost of
//! a code exchange: on the benchmark machine 64 bytes took 0.62–0.68 µs, against
//! 0.05–0.07 µs from the stream. Forks are seen through a `pthread_atfork` handler
//! (`forkguard`), which makes the check a load and a compare; should the handler fail to
//! register, the generator compares the process id instead, a system call per draw
//! (~0.14 µs). The construction is that of the generators in OpenSSL and BoringSSL: a
//! cryptographic stream keyed from the kernel, with fork detection. A failed read of the
//! operating system's source is a [`RandomError`]; the generator is then left unkeyed, so
//! no output ever comes from a stale key. A key read from the operating system is wiped
//! once the stream holds it, and a stream that is replaced or dropped (with its thread) is
//! overwritten first: whoever reads the memory afterwards finds no key and no keystream
//! buffered for future tokens.

use std::cell::RefCell;

use rand::rngs::OsRng;
use rand::{RngCore as _, SeedableRng as _, TryRngCore as _};
use rand_chacha::ChaCha20Rng;
use zeroize::Zeroizing;

use crate::random::RandomError;

/// Output after which a thread's stream is re-keyed from the operating system: 64 draws
/// of an access and refresh token pair. It bounds what one leak of a thread's state could
/// reveal, at the cost of one 32-byte `getrandom` per 4 KiB drawn.
const RESEED_AFTER_BYTES: usize = 4096;

/// How a key knows whether the process it was drawn in has forked since.
#[derive(Debug)]
enum Lineage {
    /// A fork counter a `pthread_atfork` child handler increments: the child's copy of
    /// the guard sees a count it has not seen. (On systems without `fork`, `forkguard`'s
    /// guard never reports one.)
    Atfork(forkguard::Guard),
    /// The process id the key was drawn in, for when the handler could not be
    /// registered.
    Pid(u32),
}

impl Lineage {
    /// The lineage of a key drawn now.
    fn current() -> Self {
        match forkguard::Guard::try_new() {
            Ok(guard) => Self::Atfork(guard),
            Err(_) => Self::Pid(std::process::id()),
        }
    }

    /// Whether the process has forked since this lineage was taken (answered once per
    /// fork by the handler flavour, which is enough: a key that saw a fork is dropped).
    fn forked(&mut self) -> bool {
        match self {
            Self::Atfork(guard) => guard.detected_fork(),
            Self::Pid(pid) => *pid != std::process::id(),
        }
    }
}

/// One thread's stream: unkeyed until its first draw.
struct Generator {
    keyed: Option<Keyed>,
}

/// A keyed stream and what decides when it is re-keyed.
struct Keyed {
    stream: ChaCha20Rng,
    /// The process the key was drawn in.
    lineage: Lineage,
    /// Bytes output since the key was drawn.
    drawn: usize,
}

/// The stream's state in place of one whose key and buffered output are forgotten.
fn blank_stream() -> ChaCha20Rng {
    ChaCha20Rng::from_seed([0; 32])
}

impl Keyed {
    /// Overwrites the stream's key, counter and buffered keystream with those of an
    /// all-zero key (`rand_chacha` offers no wiping of its own, and this crate writes no
    /// `unsafe`). `black_box` keeps the compiler from dropping the stores as dead.
    fn forget_key(&mut self) {
        self.stream = blank_stream();
        std::hint::black_box(&mut self.stream);
    }
}

impl Drop for Keyed {
    fn drop(&mut self) {
        self.forget_key();
    }
}

impl Generator {
    /// An unkeyed generator; the first [`fill`](Self::fill) keys it.
    const fn new() -> Self {
        Self { keyed: None }
    }

    /// Fills `buf` from the stream, first drawing a new key with `seed` (its lineage from
    /// `lineage`) if there is none, the process has forked since the key was drawn, or
    /// the key has output [`RESEED_AFTER_BYTES`] (counting `buf`).
    ///
    /// # Errors
    ///
    /// Whatever `seed` returns; the generator is then unkeyed and `buf` must not be used.
    fn fill(
        &mut self,
        buf: &mut [u8],
        lineage: impl FnOnce() -> Lineage,
        seed: impl FnOnce(&mut [u8; 32]) -> Result<(), RandomError>,
    ) -> Result<(), RandomError> {
        let fresh = self.keyed.as_mut().is_some_and(|k| {
            !k.lineage.forked() && k.drawn.saturating_add(buf.len()) <= RESEED_AFTER_BYTES
        });
        if !fresh {
            // Forget the old key before asking for a new one: should that fail, nothing
            // is left to draw from.
            self.keyed = None;
            let lineage = lineage();
            // Wiped when it goes out of scope, on success and on failure alike.
            let mut key = Zeroizing::new([0u8; 32]);
            seed(&mut key)?;
            self.keyed = Some(Keyed {
                stream: ChaCha20Rng::from_seed(*key),
                lineage,
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
    GENERATOR
        .try_with(|generator| match generator.try_borrow_mut() {
            Ok(mut generator) => generator.fill(buf, Lineage::current, |key| fill_from_os(key)),
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

    /// A draw whose key, if it needs one, is taken in this process as the library takes it.
    fn draw(generator: &mut Generator, seeds: &mut Seeds) -> [u8; 64] {
        let mut out = [0u8; 64];
        generator
            .fill(&mut out, Lineage::current, |k| seeds.next(k))
            .unwrap();
        out
    }

    #[test]
    fn the_first_draw_keys_the_generator_and_later_ones_continue_its_stream() {
        let mut generator = Generator::new();
        let mut seeds = Seeds(0);
        let first = draw(&mut generator, &mut seeds);
        let second = draw(&mut generator, &mut seeds);
        assert_eq!(seeds.0, 1, "one key for both draws");
        assert_ne!(first, second);
        // The output is the ChaCha20 stream of the key the source gave.
        let mut expected = [0u8; 128];
        ChaCha20Rng::from_seed([1; 32]).fill_bytes(&mut expected);
        assert_eq!(first[..], expected[..64]);
        assert_eq!(second[..], expected[64..]);
    }

    #[test]
    fn keys_are_watched_by_a_fork_handler_that_sees_no_fork_in_this_process() {
        // On Unix the handler registers, so no draw pays for a process id.
        let mut lineage = Lineage::current();
        assert!(matches!(lineage, Lineage::Atfork(_)), "{lineage:?}");
        #[cfg(unix)]
        if let Lineage::Atfork(guard) = &lineage {
            assert_eq!(guard.flavor(), forkguard::Flavor::Atfork);
        }
        assert!(!lineage.forked());
        let mut pid = Lineage::Pid(std::process::id());
        assert!(!pid.forked());
    }

    #[test]
    fn a_key_from_another_process_is_replaced_so_a_forked_child_never_repeats_its_parent() {
        // The fallback flavour, where the fork shows as a process id that changed. (The
        // handler flavour is `forkguard`'s, tested there by forking: this crate forbids
        // the `unsafe` a fork needs.)
        let mut parent = Generator::new();
        let mut seeds = Seeds(0);
        let here = std::process::id();
        let mut out = [0u8; 64];
        parent
            .fill(&mut out, || Lineage::Pid(here), |k| seeds.next(k))
            .unwrap();
        // The child holds a copy of the parent's stream, keyed in a process (the
        // parent) whose id is not its own.
        let mut child = Generator {
            keyed: parent.keyed.as_ref().map(|k| Keyed {
                stream: k.stream.clone(),
                lineage: Lineage::Pid(here.wrapping_add(1)),
                drawn: k.drawn,
            }),
        };
        let from_parent = draw(&mut parent, &mut seeds);
        let from_child = draw(&mut child, &mut seeds);
        assert_eq!(seeds.0, 2, "only the child drew a new key");
        assert_ne!(from_parent, from_child);
    }

    #[test]
    fn the_key_is_replaced_after_reseed_after_bytes_of_output() {
        let mut generator = Generator::new();
        let mut seeds = Seeds(0);
        for _ in 0..RESEED_AFTER_BYTES / 64 {
            draw(&mut generator, &mut seeds);
        }
        assert_eq!(
            seeds.0, 1,
            "exactly RESEED_AFTER_BYTES came from the first key"
        );
        draw(&mut generator, &mut seeds);
        assert_eq!(seeds.0, 2);
        // A draw larger than the limit is served from a key of its own.
        let mut big = vec![0u8; RESEED_AFTER_BYTES + 1];
        generator
            .fill(&mut big, Lineage::current, |k| seeds.next(k))
            .unwrap();
        assert_eq!(seeds.0, 3);
        draw(&mut generator, &mut seeds);
        assert_eq!(seeds.0, 4);
    }

    #[test]
    fn a_failed_seed_is_an_error_and_leaves_no_key_to_draw_from() {
        let mut generator = Generator::new();
        let mut seeds = Seeds(0);
        draw(&mut generator, &mut seeds);
        // The fork case: the old key may not be used, and the source fails.
        if let Some(keyed) = generator.keyed.as_mut() {
            keyed.lineage = Lineage::Pid(std::process::id().wrapping_add(1));
        }
        let mut out = [0u8; 64];
        assert_eq!(
            generator.fill(&mut out, Lineage::current, |_| Err(RandomError)),
            Err(RandomError)
        );
        assert!(generator.keyed.is_none());
        // The next draw asks the source again instead of using anything stale.
        draw(&mut generator, &mut seeds);
        assert_eq!(seeds.0, 2);
    }

    #[test]
    fn a_forgotten_key_leaves_neither_key_nor_buffered_output_behind() {
        let mut generator = Generator::new();
        let mut seeds = Seeds(0);
        // Part of a keystream block is drawn; the rest waits in the stream's buffer.
        let mut out = [0u8; 8];
        generator
            .fill(&mut out, Lineage::current, |k| seeds.next(k))
            .unwrap();
        let Some(keyed) = generator.keyed.as_mut() else {
            panic!("the draw keyed the generator");
        };
        let mut would_follow = [0u8; 64];
        keyed.stream.clone().fill_bytes(&mut would_follow);
        keyed.forget_key();
        // What the stream gives now is the all-zero key's stream from its start, not
        // the buffered rest of the old block nor anything of the old key.
        let mut after = [0u8; 64];
        keyed.stream.fill_bytes(&mut after);
        let mut blank = [0u8; 64];
        blank_stream().fill_bytes(&mut blank);
        assert_eq!(after, blank);
        assert_ne!(after, would_follow);
        assert_eq!(keyed.stream.get_seed(), [0; 32]);
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
