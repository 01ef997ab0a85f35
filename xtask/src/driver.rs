//! The benchmark's own load driver: a fixed number of units (one request, or one whole
//! OAuth flow) shared through an atomic budget by a fixed number of worker tasks, each
//! timing its units into a latency list. HTTP goes through hyper's client over a
//! keep-alive pool of plain TCP connections to 127.0.0.1, so the same client measures the
//! floor and the stateful loads alike.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// The HTTP client every driver load uses.
pub(crate) type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// A keep-alive client able to hold `pool` idle connections to the one target.
pub(crate) fn client(pool: usize) -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(pool)
        .pool_idle_timeout(Duration::from_secs(60))
        .build(connector)
}

/// A response with its whole body read (so the connection goes back to the pool).
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// Sends `request` and reads the whole response.
pub(crate) async fn send(
    client: &HttpClient,
    request: Request<Full<Bytes>>,
) -> Result<Reply, String> {
    let uri = request.uri().clone();
    let response = client
        .request(request)
        .await
        .map_err(|e| format!("{uri}: {e}"))?;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| format!("{uri}: reading the body: {e}"))?
        .to_bytes();
    Ok(Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

/// What one load measured.
#[derive(Debug, Clone)]
pub(crate) struct Measured {
    /// Units completed (requests or flows).
    pub(crate) units: usize,
    /// HTTP requests per unit.
    pub(crate) requests_per_unit: usize,
    /// Units per second over the wall time of the whole load.
    pub(crate) per_sec: f64,
    /// Median unit latency.
    pub(crate) p50: Duration,
    /// 99th percentile unit latency.
    pub(crate) p99: Duration,
    /// Whether the time limit stopped the load before its budget was spent.
    pub(crate) cut_short: bool,
    /// Wall time of the whole load.
    pub(crate) wall: Duration,
    /// Every unit's latency, sorted (empty when an outside tool measured the load).
    pub(crate) latencies: Vec<Duration>,
}

impl Measured {
    /// Several parts of one load (the rounds of an interleaved measurement) as one:
    /// units and wall times add up, so the rate is the pooled one; the quantiles are
    /// those of all parts' latencies together (or, for parts without latencies, the
    /// median part's p50 and the worst part's p99).
    pub(crate) fn merge(parts: &[Measured]) -> Measured {
        let units = parts.iter().map(|p| p.units).sum::<usize>();
        let wall = parts.iter().map(|p| p.wall).sum::<Duration>();
        let mut latencies: Vec<Duration> = parts
            .iter()
            .flat_map(|p| p.latencies.iter().copied())
            .collect();
        latencies.sort_unstable();
        let (p50, p99) = if latencies.len() == units {
            (quantile(&latencies, 0.50), quantile(&latencies, 0.99))
        } else {
            let mut p50s: Vec<Duration> = parts.iter().map(|p| p.p50).collect();
            p50s.sort_unstable();
            let p99 = parts.iter().map(|p| p.p99).max().unwrap_or_default();
            (quantile(&p50s, 0.5), p99)
        };
        #[allow(clippy::cast_precision_loss)]
        let per_sec = units as f64 / wall.as_secs_f64().max(1e-9);
        Measured {
            units,
            requests_per_unit: parts.first().map_or(1, |p| p.requests_per_unit),
            per_sec,
            p50,
            p99,
            cut_short: parts.iter().any(|p| p.cut_short),
            wall,
            latencies,
        }
    }
}

/// The `q` quantile (0..=1) of sorted latencies.
pub(crate) fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let last = sorted.len() - 1;
    // Truncation is the intent: nearest-rank on a list of at most a few million entries.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let index = ((last as f64) * q).round() as usize;
    sorted.get(index.min(last)).copied().unwrap_or_default()
}

/// The median of sorted `values` (the mean of the middle two for an even count).
pub(crate) fn median(values: &[f64]) -> Option<f64> {
    let mid = values.len() / 2;
    match values.len() {
        0 => None,
        n if n % 2 == 1 => values.get(mid).copied(),
        _ => Some((values.get(mid - 1)? + values.get(mid)?) / 2.0),
    }
}

/// Runs `units` units with one worker task per entry of `states` (the concurrency), each
/// worker threading its own state through `op(state, unit_index)`. Stops early at
/// `time_limit`; the first error ends the load.
pub(crate) async fn run<S, F, Fut>(
    units: usize,
    requests_per_unit: usize,
    states: Vec<S>,
    time_limit: Duration,
    op: F,
) -> Result<Measured, String>
where
    S: Send + 'static,
    F: Fn(S, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<S, String>> + Send + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let op = Arc::new(op);
    let start = Instant::now();
    let per_worker = units / states.len().max(1) + 1;
    let mut tasks = Vec::with_capacity(states.len());
    for mut state in states {
        let next = Arc::clone(&next);
        let op = Arc::clone(&op);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_worker);
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= units || start.elapsed() > time_limit {
                    return Ok::<_, String>(latencies);
                }
                let began = Instant::now();
                state = op(state, index).await?;
                latencies.push(began.elapsed());
            }
        }));
    }
    let mut latencies = Vec::with_capacity(units);
    let mut first_error = None;
    for task in tasks {
        match task.await {
            Ok(Ok(list)) => latencies.extend(list),
            Ok(Err(error)) => {
                first_error.get_or_insert(error);
            }
            Err(error) => {
                first_error.get_or_insert(format!("worker panicked: {error}"));
            }
        }
    }
    let wall = start.elapsed();
    if let Some(error) = first_error {
        return Err(error);
    }
    latencies.sort_unstable();
    let done = latencies.len();
    #[allow(clippy::cast_precision_loss)]
    let per_sec = done as f64 / wall.as_secs_f64().max(1e-9);
    Ok(Measured {
        units: done,
        requests_per_unit,
        per_sec,
        p50: quantile(&latencies, 0.50),
        p99: quantile(&latencies, 0.99),
        cut_short: done < units,
        wall,
        latencies,
    })
}

/// Runs `units` units of `make(n)` at `concurrency` (each `requests_per_unit` requests)
/// and returns what they made, in no particular order: a load's untimed set-up, such as
/// the codes an exchange load redeems.
pub(crate) async fn gather<T, F, Fut>(
    units: usize,
    requests_per_unit: usize,
    concurrency: usize,
    time_limit: Duration,
    make: F,
) -> Result<Vec<T>, String>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, String>> + Send + 'static,
{
    let made = Arc::new(Mutex::new(Vec::with_capacity(units)));
    let sink = Arc::clone(&made);
    run(
        units,
        requests_per_unit,
        vec![(); concurrency],
        time_limit,
        move |(), n| {
            let (sink, item) = (Arc::clone(&sink), make(n));
            async move {
                let item = item.await?;
                sink.lock().map_err(|_| "poisoned")?.push(item);
                Ok(())
            }
        },
    )
    .await?;
    let items = std::mem::take(&mut *made.lock().map_err(|_| "poisoned")?);
    Ok(items)
}

/// Runs `op(items, i)` once for each index `i` in `first..first + units`, at
/// `concurrency`, one request per unit: a load over what [`gather`] made.
pub(crate) async fn each<T, F, Fut>(
    items: &Arc<Vec<T>>,
    first: usize,
    units: usize,
    concurrency: usize,
    time_limit: Duration,
    op: F,
) -> Result<Measured, String>
where
    T: Send + Sync + 'static,
    F: Fn(Arc<Vec<T>>, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let items = Arc::clone(items);
    run(units, 1, vec![(); concurrency], time_limit, move |(), i| {
        op(Arc::clone(&items), first + i)
    })
    .await
}

/// A fixed request: sent as is, `n` times, each expected to answer `200 OK`.
#[derive(Clone)]
pub(crate) struct Fixed {
    pub(crate) method: http::Method,
    pub(crate) uri: http::Uri,
    pub(crate) headers: Vec<(http::HeaderName, http::HeaderValue)>,
    pub(crate) body: Bytes,
}

impl Fixed {
    /// A fresh request with this method, URI, headers and body.
    pub(crate) fn request(&self) -> Result<Request<Full<Bytes>>, String> {
        let mut builder = Request::builder()
            .method(self.method.clone())
            .uri(self.uri.clone());
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        builder
            .body(Full::new(self.body.clone()))
            .map_err(|e| e.to_string())
    }
}

/// Sends `fixed` `units` times at `concurrency`.
pub(crate) async fn run_fixed(
    client: &HttpClient,
    fixed: Fixed,
    units: usize,
    concurrency: usize,
    time_limit: Duration,
) -> Result<Measured, String> {
    let fixed = Arc::new(fixed);
    let client = client.clone();
    run(units, 1, vec![(); concurrency], time_limit, move |(), _| {
        let client = client.clone();
        let fixed = Arc::clone(&fixed);
        async move {
            let reply = send(&client, fixed.request()?).await?;
            if reply.status != StatusCode::OK {
                return Err(format!(
                    "{} {}: {} {}",
                    fixed.method,
                    fixed.uri,
                    reply.status,
                    String::from_utf8_lossy(&reply.body)
                ));
            }
            Ok(())
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(units: usize, millis: u64, latencies: &[u64]) -> Measured {
        let latencies: Vec<Duration> = latencies
            .iter()
            .map(|&l| Duration::from_millis(l))
            .collect();
        Measured {
            units,
            requests_per_unit: 1,
            per_sec: 0.0,
            p50: quantile(&latencies, 0.5),
            p99: quantile(&latencies, 0.99),
            cut_short: false,
            wall: Duration::from_millis(millis),
            latencies,
        }
    }

    #[test]
    fn the_median_of_odd_and_even_counts() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[0.7]), Some(0.7));
        assert_eq!(median(&[0.5, 0.7, 0.9]), Some(0.7));
        assert_eq!(median(&[0.5, 0.6, 0.8, 0.9]), Some(0.7));
    }

    #[test]
    fn merged_parts_pool_units_time_and_latencies() {
        let merged = Measured::merge(&[part(3, 100, &[1, 2, 9]), part(2, 300, &[3, 4])]);
        assert_eq!(merged.units, 5);
        assert_eq!(merged.wall, Duration::from_millis(400));
        assert!((merged.per_sec - 12.5).abs() < 1e-9, "{}", merged.per_sec);
        assert_eq!(merged.p50, Duration::from_millis(3));
        assert_eq!(merged.p99, Duration::from_millis(9));
        assert_eq!(merged.latencies.len(), 5);
    }

    #[test]
    fn parts_without_latencies_keep_the_median_p50_and_worst_p99() {
        let mut parts = [part(1, 10, &[]), part(1, 10, &[]), part(1, 10, &[])];
        for (p, (p50, p99)) in parts.iter_mut().zip([(1, 5), (2, 9), (3, 4)]) {
            p.p50 = Duration::from_millis(p50);
            p.p99 = Duration::from_millis(p99);
        }
        let merged = Measured::merge(&parts);
        assert_eq!(merged.p50, Duration::from_millis(2));
        assert_eq!(merged.p99, Duration::from_millis(9));
    }
}
