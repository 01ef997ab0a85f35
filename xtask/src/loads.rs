//! The loads of one benchmark group (one demo server on one store), each a row: the floor
//! (POST and GET, per tool) first for reference, then code exchange (codes pre-minted by untimed flows,
//! only the exchanges timed), refresh (each worker rotates its own grant), introspection
//! and the bearer-protected `GET /api/balance` (own driver and `oha`), and the whole
//! interactive flow (authorize → login → consent → token timed as one unit). Each load's
//! ratio is to a floor run by the same tool with the same method, in slices interleaved
//! with the load's (see [`Group::interleaved`]).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::Method;
use tokio::runtime::Runtime;

use crate::bare::{Bare, BareCode, BARE_EXCHANGE};
use crate::driver::{self, HttpClient, Measured};
use crate::floor;
use crate::oauth::{Code, OAuth};
use crate::oha;
use crate::report::Row;

/// Where the full-flow load numbers its flows (verifier and `state`), apart from the
/// flows that mint the exchange load's codes.
const FLOW_NUMBERS: usize = 1_000_000_000;

/// The fewest units per worker in one round of an interleaved load (and per floor slice).
const MIN_UNITS_PER_WORKER: usize = 50;

/// The most rounds of an interleaved load measured with `oha`: each slice is a new `oha`
/// process that opens its connections afresh, so its slices are kept longer.
const MAX_OHA_ROUNDS: usize = 10;

/// The settings of a group.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) requests: usize,
    pub(crate) concurrency: usize,
    pub(crate) time_limit: Duration,
    pub(crate) oha: bool,
    /// Rounds each driver load is interleaved with its floor in.
    pub(crate) rounds: usize,
}

impl Settings {
    /// The defaults of the HTTP benchmarks: 60 000 requests at concurrency 32, in 30
    /// rounds, driver only.
    pub(crate) fn standard(time_limit: Duration) -> Self {
        Self {
            requests: 60_000,
            concurrency: 32,
            time_limit,
            oha: false,
            rounds: 30,
        }
    }

    /// Applies `--requests`, `--rounds` or `--concurrency` with the next argument of
    /// `rest`; `Ok(false)` for any other flag (left to the caller).
    pub(crate) fn take_flag(
        &mut self,
        flag: &str,
        rest: &mut std::slice::Iter<'_, String>,
    ) -> Result<bool, String> {
        let slot = match flag {
            "--requests" => &mut self.requests,
            "--rounds" => &mut self.rounds,
            "--concurrency" => &mut self.concurrency,
            _ => return Ok(false),
        };
        let value = rest.next().ok_or(format!("{flag} needs a value"))?;
        *slot = value
            .parse::<usize>()
            .map_err(|e| format!("{flag} {value}: {e}"))?
            .max(1);
        Ok(true)
    }
}

/// One demo server on one store, and where the floor server is.
pub(crate) struct Group<'a> {
    pub(crate) settings: &'a Settings,
    pub(crate) runtime: &'a Runtime,
    pub(crate) client: HttpClient,
    pub(crate) server: &'a str,
    pub(crate) store: &'a str,
    pub(crate) demo_base: &'a str,
    pub(crate) floor_base: &'a str,
}

/// Which tool measures a load.
#[derive(Clone, Copy)]
pub(crate) enum Tool {
    Driver,
    Oha,
}

/// The target ratio for `load` on `store`.
fn target(store: &str, load: &str) -> Option<f64> {
    match (store, load) {
        ("memory", "code exchange") => Some(0.85),
        ("memory", "refresh") => Some(0.80),
        ("memory", "introspection" | "bearer GET /api/balance") => Some(0.90),
        ("memory", "full flow (4 req)") => Some(0.20),
        ("postgres", "code exchange") => Some(0.25),
        _ => None,
    }
}

fn tool_name(tool: Tool) -> &'static str {
    match tool {
        Tool::Driver => "driver",
        Tool::Oha => "oha",
    }
}

impl Group<'_> {
    fn row(&self, load: &str, tool: Tool, measured: Measured, floor: Option<&Measured>) -> Row {
        Row {
            server: self.server.to_owned(),
            store: self.store.to_owned(),
            load: load.to_owned(),
            tool: tool_name(tool),
            concurrency: self.settings.concurrency,
            ratio: floor.map(|f| measured.per_sec / f.per_sec.max(1e-9)),
            floor: floor.map(|f| f.per_sec),
            target: floor.and_then(|_| target(self.store, load)),
            spread: None,
            measured,
        }
    }

    pub(crate) fn fixed(&self, fixed: driver::Fixed, units: usize) -> Result<Measured, String> {
        let s = self.settings;
        self.runtime.block_on(driver::run_fixed(
            &self.client,
            fixed,
            units,
            s.concurrency,
            s.time_limit,
        ))
    }

    /// The floor for `method` measured by `tool` now.
    fn floor_now(&self, tool: Tool, method: Method) -> Result<Measured, String> {
        let fixed = floor::request(self.floor_base, method)?;
        self.send(tool, &fixed, self.settings.requests)
    }

    /// `units` requests of `fixed` through `tool`.
    pub(crate) fn send(
        &self,
        tool: Tool,
        fixed: &driver::Fixed,
        units: usize,
    ) -> Result<Measured, String> {
        let s = self.settings;
        match tool {
            Tool::Driver => self.fixed(fixed.clone(), units),
            Tool::Oha => oha::run(fixed, units, s.concurrency, s.time_limit),
        }
    }

    /// Measures `load` (`units` units in all) against the floor for `method` in
    /// interleaved rounds — a slice of the floor, then a slice of the load, and again —
    /// so that both see the same machine: on a shared VM the speed of the cores drifts
    /// by ±20 % within seconds, which one floor run followed by one load run takes for a
    /// difference between them. `chunk(n)` runs the next `n` units of the load. The
    /// row's ratio is the median round's own ratio (load rate over the floor rate of the
    /// slice just before it), which a stall of the whole VM in one round does not move;
    /// the row also shows the lowest and highest round's ratio, and its rates are the
    /// pooled ones (all units over all time).
    pub(crate) fn interleaved(
        &self,
        load: &str,
        method: Method,
        units: usize,
        chunk: impl FnMut(usize) -> Result<Measured, String>,
    ) -> Result<Row, String> {
        self.interleaved_by(Tool::Driver, load, method, units, chunk)
    }

    /// [`Self::interleaved`] with the floor's slices sent by `tool` (`chunk` should use
    /// the same tool); with `oha`, at most [`MAX_OHA_ROUNDS`] rounds.
    pub(crate) fn interleaved_by(
        &self,
        tool: Tool,
        load: &str,
        method: Method,
        units: usize,
        mut chunk: impl FnMut(usize) -> Result<Measured, String>,
    ) -> Result<Row, String> {
        let fixed = floor::request(self.floor_base, method)?;
        // A slice pays for its ramp-up and tail (the last units' latency with fewer
        // than `concurrency` in flight); at least 50 units per worker keeps that near
        // 1 % on either side, so fewer, longer rounds where the load is small.
        let per_round = MIN_UNITS_PER_WORKER * self.settings.concurrency;
        let most = match tool {
            Tool::Driver => self.settings.rounds,
            Tool::Oha => self.settings.rounds.min(MAX_OHA_ROUNDS),
        };
        let rounds = most.min(units / per_round).max(1);
        let floor_units = self.settings.requests.max(rounds * per_round);
        let share =
            |total: usize, round: usize| total * (round + 1) / rounds - total * round / rounds;
        let (mut floors, mut loads, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        // The time limit holds for the load's rounds together, floor slices included.
        let began = Instant::now();
        for round in 0..rounds {
            let floor = self.send(tool, &fixed, share(floor_units, round))?;
            let part = chunk(share(units, round))?;
            ratios.push(part.per_sec / floor.per_sec.max(1e-9));
            let stop = part.cut_short || began.elapsed() > self.settings.time_limit;
            floors.push(floor);
            loads.push(part);
            if stop {
                break;
            }
        }
        let (floor, mut measured) = (Measured::merge(&floors), Measured::merge(&loads));
        measured.cut_short |= measured.units < units;
        ratios.sort_by(f64::total_cmp);
        let mut row = self.row(load, tool, measured, Some(&floor));
        if let (Some(&lo), Some(&hi)) = (ratios.first(), ratios.last()) {
            row.ratio = Some(driver::median(&ratios).unwrap_or(lo));
            row.spread = Some((lo, hi));
        }
        Ok(row)
    }

    /// Runs every load, appending rows; a failing load becomes a note, not an abort.
    pub(crate) fn run(&self, rows: &mut Vec<Row>, notes: &mut Vec<String>) -> Result<(), String> {
        let s = self.settings;
        let floor_post = floor::request(self.floor_base, Method::POST)?;
        self.fixed(floor_post, s.requests / 10)?; // warm-up
        let mut tools = vec![Tool::Driver];
        if s.oha {
            tools.push(Tool::Oha);
        }
        for &tool in &tools {
            for (load, method) in [("floor POST", Method::POST), ("floor GET", Method::GET)] {
                rows.push(self.row(load, tool, self.floor_now(tool, method)?, None));
            }
        }
        let oauth = OAuth::new(self.client.clone(), self.demo_base)?;
        let mut attempt = |load: &str, result: Result<Vec<Row>, String>| match result {
            Ok(new) => rows.extend(new),
            Err(error) => notes.push(format!(
                "{} / {} / {load}: failed: {error}",
                self.server, self.store
            )),
        };
        attempt("code exchange", self.exchange(&oauth));
        attempt("refresh", self.refresh(&oauth));
        attempt("stateless", self.stateless(&oauth, &tools));
        attempt("full flow", self.full_flow(&oauth));
        Ok(())
    }

    fn exchange(&self, oauth: &OAuth) -> Result<Vec<Row>, String> {
        let s = self.settings;
        let minter = oauth.clone();
        let codes: Arc<Vec<Code>> = Arc::new(self.runtime.block_on(driver::gather(
            s.requests,
            3,
            s.concurrency,
            s.time_limit,
            move |n| {
                let minter = minter.clone();
                async move { minter.obtain_code(n).await }
            },
        ))?);
        let mut next = 0;
        let row = self.interleaved("code exchange", Method::POST, codes.len(), |units| {
            let (oauth, first) = (oauth.clone(), next);
            next += units;
            self.runtime.block_on(driver::each(
                &codes,
                first,
                units,
                s.concurrency,
                s.time_limit,
                move |codes, i| {
                    let oauth = oauth.clone();
                    async move {
                        let code = codes.get(i).ok_or("no code left")?;
                        oauth.exchange(code, false).await.map(|_| ())
                    }
                },
            ))
        })?;
        Ok(vec![row])
    }

    /// The bare exchange of the floor server (see `bare`) against the floor, measured
    /// like [`Self::exchange`]: codes minted untimed, exchanges in interleaved rounds. A
    /// reference for what the code-exchange target allows on this machine.
    pub(crate) fn bare_exchange(&self) -> Result<Row, String> {
        let s = self.settings;
        for base in [self.floor_base, self.demo_base] {
            self.fixed(floor::request(base, Method::POST)?, s.requests / 10)?; // warm-up
        }
        let bare = Bare::new(self.client.clone(), self.demo_base)?;
        let minter = bare.clone();
        let codes: Arc<Vec<BareCode>> = Arc::new(self.runtime.block_on(driver::gather(
            s.requests,
            1,
            s.concurrency,
            s.time_limit,
            move |n| {
                let minter = minter.clone();
                async move { minter.mint(n).await }
            },
        ))?);
        let mut next = 0;
        self.interleaved(BARE_EXCHANGE, Method::POST, codes.len(), |units| {
            let (bare, first) = (bare.clone(), next);
            next += units;
            self.runtime.block_on(driver::each(
                &codes,
                first,
                units,
                s.concurrency,
                s.time_limit,
                move |codes, i| {
                    let bare = bare.clone();
                    async move { bare.exchange(codes.get(i).ok_or("no code left")?).await }
                },
            ))
        })
    }

    /// The floor's own POST sent to the server under test (another floor, such as the
    /// actix one), against the floor's in interleaved rounds: what that server's stack
    /// costs a request that does nothing.
    pub(crate) fn floor_post_here(&self, load: &str) -> Result<Row, String> {
        let s = self.settings;
        let here = floor::request(self.demo_base, Method::POST)?;
        self.fixed(here.clone(), s.requests / 10)?; // warm-up
        self.interleaved(load, Method::POST, s.requests, |units| {
            self.fixed(here.clone(), units)
        })
    }

    fn refresh(&self, oauth: &OAuth) -> Result<Vec<Row>, String> {
        let s = self.settings;
        let grants = self.runtime.block_on(async {
            let mut tasks = Vec::new();
            for n in 0..s.concurrency {
                let oauth = oauth.clone();
                tasks.push(tokio::spawn(async move { oauth.tokens(n).await }));
            }
            let mut grants = Vec::new();
            for task in tasks {
                grants.push(task.await.map_err(|e| e.to_string())??.refresh);
            }
            Ok::<_, String>(grants)
        })?;
        // Each worker's current refresh token, kept between rounds.
        let slots: Arc<Vec<Mutex<String>>> = Arc::new(grants.into_iter().map(Mutex::new).collect());
        let row = self.interleaved("refresh", Method::POST, s.requests, |units| {
            let (slots, oauth) = (Arc::clone(&slots), oauth.clone());
            self.runtime.block_on(driver::run(
                units,
                1,
                (0..slots.len()).collect(),
                s.time_limit,
                move |slot: usize, _| {
                    let (slots, oauth) = (Arc::clone(&slots), oauth.clone());
                    async move {
                        let cell = slots.get(slot).ok_or("no such worker")?;
                        let token = std::mem::take(&mut *cell.lock().map_err(|_| "poisoned")?);
                        let next = oauth.refresh(&token).await?.refresh;
                        *cell.lock().map_err(|_| "poisoned")? = next;
                        Ok(slot)
                    }
                },
            ))
        })?;
        Ok(vec![row])
    }

    fn stateless(&self, oauth: &OAuth, tools: &[Tool]) -> Result<Vec<Row>, String> {
        let tokens = self.runtime.block_on(oauth.tokens(0))?;
        let introspection = oauth.introspection(&tokens.access)?;
        let balance = oauth.balance(&tokens.access)?;
        let check = self
            .runtime
            .block_on(driver::send(&self.client, introspection.request()?))?;
        if !String::from_utf8_lossy(&check.body).contains("\"active\":true") {
            return Err(format!(
                "introspection does not report the token active: {}",
                String::from_utf8_lossy(&check.body)
            ));
        }
        let mut rows = Vec::new();
        for &tool in tools {
            for (load, method, fixed) in [
                ("introspection", Method::POST, &introspection),
                ("bearer GET /api/balance", Method::GET, &balance),
            ] {
                rows.push(self.interleaved_by(
                    tool,
                    load,
                    method,
                    self.settings.requests,
                    |units| self.send(tool, fixed, units),
                )?);
            }
        }
        Ok(rows)
    }

    fn full_flow(&self, oauth: &OAuth) -> Result<Vec<Row>, String> {
        let s = self.settings;
        let flows = (s.requests / 4).max(1);
        let mut next = 0;
        let row = self.interleaved("full flow (4 req)", Method::POST, flows, |units| {
            let (oauth, first) = (oauth.clone(), next);
            next += units;
            self.runtime.block_on(driver::run(
                units,
                4,
                vec![(); s.concurrency],
                s.time_limit,
                move |(), n| {
                    let oauth = oauth.clone();
                    async move { oauth.flow(FLOW_NUMBERS + first + n).await }
                },
            ))
        })?;
        Ok(vec![row])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|&a| a.to_owned()).collect()
    }

    #[test]
    fn shared_flags_set_their_setting_and_leave_the_rest() {
        let mut settings = Settings::standard(Duration::from_secs(1));
        let list = args(&["--requests", "500", "--rounds", "0", "--concurrency", "8"]);
        let mut rest = list.iter();
        while let Some(flag) = rest.next() {
            assert_eq!(settings.take_flag(flag, &mut rest), Ok(true), "{flag}");
        }
        assert_eq!(
            (settings.requests, settings.rounds, settings.concurrency),
            (500, 1, 8)
        );
        let list = args(&["--out", "x"]);
        let mut rest = list.iter();
        assert_eq!(settings.take_flag("--out", &mut rest), Ok(false));
        assert_eq!(rest.next().map(String::as_str), Some("--out"));
    }

    #[test]
    fn shared_flags_need_a_number() {
        let mut settings = Settings::standard(Duration::from_secs(1));
        let mut rest = [].iter();
        assert!(settings.take_flag("--requests", &mut rest).is_err());
        let list = args(&["many"]);
        assert!(settings.take_flag("--rounds", &mut list.iter()).is_err());
    }
}
