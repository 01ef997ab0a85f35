//! Time as the engine sees it. Every expiry decision reads a [`Clock`], so tests move
//! time with [`ManualClock`] instead of sleeping, and production uses [`SystemClock`].

use std::sync::Mutex;
use time::{Duration, OffsetDateTime};

/// A source of the current time in UTC.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> OffsetDateTime;
}

/// The operating system's wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to; for tests and simulations.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<OffsetDateTime>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            now: Mutex::new(start),
        }
    }

    /// A clock standing at a fixed, arbitrary instant (2030-01-01T00:00:00Z).
    pub fn fixed() -> Self {
        Self::new(
            OffsetDateTime::from_unix_timestamp(1_893_456_000)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH),
        )
    }

    /// Moves the clock forward (or backward, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }

    /// Sets the clock to `to`.
    pub fn set(&self, to: OffsetDateTime) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::fixed();
        let t0 = clock.now();
        assert_eq!(clock.now(), t0);
        clock.advance(Duration::seconds(61));
        assert_eq!(clock.now() - t0, Duration::seconds(61));
    }
}
