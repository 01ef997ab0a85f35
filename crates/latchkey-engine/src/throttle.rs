//! Brute-force protection for client authentication. Every failed authentication is
//! counted per claimed client id; once a client id has failed too often within a window,
//! further attempts are refused with `429 Too Many Requests` and `Retry-After` until the
//! window ends, without the secret even being checked. A cluster shares counts by
//! implementing [`Throttle`] over a shared store; [`MemoryThrottle`] is the per-process
//! default.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

/// Counts failures per key and says when a key must wait.
#[async_trait]
pub trait Throttle: Send + Sync + 'static {
    /// `Ok` if `key` may try now, else `Err(seconds to wait)`.
    async fn check(&self, key: &str, now: OffsetDateTime) -> Result<(), u64>;
    /// Records a failed attempt for `key`.
    async fn record_failure(&self, key: &str, now: OffsetDateTime);
    /// Records a successful attempt (clears the key's failures).
    async fn record_success(&self, key: &str);
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: OffsetDateTime,
    failures: u32,
}

/// An in-process [`Throttle`]: at most `max_failures` failures per key within `window`.
#[derive(Debug)]
pub struct MemoryThrottle {
    max_failures: u32,
    window: Duration,
    capacity: usize,
    windows: Mutex<HashMap<String, Window>>,
}

impl Default for MemoryThrottle {
    fn default() -> Self {
        Self::new(10, Duration::minutes(5))
    }
}

impl MemoryThrottle {
    /// Allows `max_failures` failures per key within each `window`.
    pub fn new(max_failures: u32, window: Duration) -> Self {
        Self {
            max_failures: max_failures.max(1),
            window,
            capacity: 100_000,
            windows: Mutex::new(HashMap::new()),
        }
    }
}

#[async_trait]
impl Throttle for MemoryThrottle {
    async fn check(&self, key: &str, now: OffsetDateTime) -> Result<(), u64> {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        match windows.get(key) {
            Some(w) if w.failures >= self.max_failures && now < w.started + self.window => {
                let wait = (w.started + self.window - now).whole_seconds().max(1);
                Err(u64::try_from(wait).unwrap_or(1))
            }
            _ => Ok(()),
        }
    }

    async fn record_failure(&self, key: &str, now: OffsetDateTime) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= self.capacity && !windows.contains_key(key) {
            let window = self.window;
            windows.retain(|_, w| now < w.started + window);
            if windows.len() >= self.capacity {
                return;
            }
        }
        let entry = windows.entry(key.to_owned()).or_insert(Window {
            started: now,
            failures: 0,
        });
        if now >= entry.started + self.window {
            *entry = Window {
                started: now,
                failures: 0,
            };
        }
        entry.failures = entry.failures.saturating_add(1);
    }

    async fn record_success(&self, key: &str) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        // Usually nobody has failed lately: then there is nothing to hash and remove.
        if !windows.is_empty() {
            windows.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + Duration::days(20_000)
    }

    #[tokio::test]
    async fn blocks_after_max_failures_until_window_ends() {
        let throttle = MemoryThrottle::new(3, Duration::seconds(60));
        for _ in 0..3 {
            assert!(throttle.check("c", t0()).await.is_ok());
            throttle.record_failure("c", t0()).await;
        }
        assert_eq!(throttle.check("c", t0()).await, Err(60));
        assert_eq!(
            throttle.check("c", t0() + Duration::seconds(50)).await,
            Err(10)
        );
        assert!(throttle
            .check("c", t0() + Duration::seconds(60))
            .await
            .is_ok());
        assert!(throttle.check("other", t0()).await.is_ok());
    }

    #[tokio::test]
    async fn success_clears_failures() {
        let throttle = MemoryThrottle::new(1, Duration::seconds(60));
        throttle.record_failure("c", t0()).await;
        assert!(throttle.check("c", t0()).await.is_err());
        throttle.record_success("c").await;
        assert!(throttle.check("c", t0()).await.is_ok());
    }
}
