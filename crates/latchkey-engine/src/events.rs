//! Audit events. The engine reports every security-relevant step as a typed [`Event`] to
//! an [`EventSink`], so integrators can feed monitoring and fraud systems. Events carry
//! identifiers (client, grant, subject) and never secrets. A sink is called on the request
//! path and must not block: [`TracingSink`] (the default) hands events to `tracing`, and
//! [`ChannelSink`] queues them for a consumer task, dropping (and counting) on overflow
//! rather than slowing a token request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::Mutex;

use latchkey_types::{ClientId, GrantType, Scope};

use crate::grant::{GrantId, Subject};

/// Which kind of token an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An access token.
    Access,
    /// A refresh token.
    Refresh,
}

/// A security-relevant step taken by the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The subject approved a client's authorization request.
    AuthorizationApproved {
        /// The client.
        client_id: ClientId,
        /// The subject.
        subject: Subject,
        /// The scope granted.
        scope: Scope,
        /// The authentication level reached.
        acr: String,
    },
    /// The subject denied a client's authorization request.
    AuthorizationDenied {
        /// The client.
        client_id: ClientId,
    },
    /// An authorization code was issued.
    CodeIssued {
        /// The client.
        client_id: ClientId,
        /// The grant the code will create.
        grant_id: GrantId,
    },
    /// An authorization code was redeemed.
    CodeRedeemed {
        /// The client.
        client_id: ClientId,
        /// The grant created.
        grant_id: GrantId,
    },
    /// A used authorization code was presented again; its grant was revoked.
    CodeReplayDetected {
        /// The grant revoked.
        grant_id: GrantId,
    },
    /// Tokens were issued.
    TokenIssued {
        /// The client.
        client_id: ClientId,
        /// The grant.
        grant_id: GrantId,
        /// The grant type used.
        grant_type: GrantType,
        /// The access token's scope.
        scope: Scope,
    },
    /// A refresh token was rotated.
    RefreshRotated {
        /// The client.
        client_id: ClientId,
        /// The grant.
        grant_id: GrantId,
    },
    /// A rotated-out refresh token was presented again; its grant was revoked.
    RefreshReplayDetected {
        /// The client that presented it.
        client_id: ClientId,
        /// The grant revoked.
        grant_id: GrantId,
    },
    /// A token was revoked through the revocation endpoint.
    TokenRevoked {
        /// The client that asked.
        client_id: ClientId,
        /// The kind of token revoked.
        kind: TokenKind,
        /// Its grant.
        grant_id: GrantId,
    },
    /// A client failed to authenticate.
    ClientAuthenticationFailed {
        /// The client id claimed.
        client_id: ClientId,
    },
    /// Requests for a client id were refused for too many failures.
    Throttled {
        /// The client id claimed.
        client_id: ClientId,
    },
    /// Every grant of a client was revoked (incident response).
    ClientRevoked {
        /// The client.
        client_id: ClientId,
        /// How many grants were revoked.
        grants: u64,
    },
    /// Every grant of a subject was revoked (incident response).
    SubjectRevoked {
        /// The subject.
        subject: Subject,
        /// How many grants were revoked.
        grants: u64,
    },
}

impl Event {
    /// A stable, snake_case name for the event kind.
    pub fn name(&self) -> &'static str {
        match self {
            Event::AuthorizationApproved { .. } => "authorization_approved",
            Event::AuthorizationDenied { .. } => "authorization_denied",
            Event::CodeIssued { .. } => "code_issued",
            Event::CodeRedeemed { .. } => "code_redeemed",
            Event::CodeReplayDetected { .. } => "code_replay_detected",
            Event::TokenIssued { .. } => "token_issued",
            Event::RefreshRotated { .. } => "refresh_rotated",
            Event::RefreshReplayDetected { .. } => "refresh_replay_detected",
            Event::TokenRevoked { .. } => "token_revoked",
            Event::ClientAuthenticationFailed { .. } => "client_authentication_failed",
            Event::Throttled { .. } => "throttled",
            Event::ClientRevoked { .. } => "client_revoked",
            Event::SubjectRevoked { .. } => "subject_revoked",
        }
    }

    /// Whether the event signals a likely attack or compromise (replays, throttling).
    pub fn is_alert(&self) -> bool {
        matches!(
            self,
            Event::CodeReplayDetected { .. }
                | Event::RefreshReplayDetected { .. }
                | Event::Throttled { .. }
        )
    }
}

/// Receives audit events. Called on the request path: implementations must return quickly
/// and never block on I/O.
pub trait EventSink: Send + Sync + 'static {
    /// Records one event.
    fn emit(&self, event: &Event);

    /// Whether [`EventSink::emit`] would record anything at all. The engine builds an event
    /// (cloning the identifiers it carries) only when this is `true`, so a sink that
    /// discards everything costs nothing on the request path. Defaults to `true`.
    fn enabled(&self) -> bool {
        true
    }
}

/// Emits each event as a `tracing` event with target `latchkey::audit`; alerts at WARN,
/// the rest at INFO.
#[derive(Debug, Default, Clone, Copy)]
pub struct TracingSink;

impl EventSink for TracingSink {
    /// `false` when no `tracing` subscriber would record a `latchkey::audit` event.
    fn enabled(&self) -> bool {
        tracing::enabled!(target: "latchkey::audit", tracing::Level::WARN)
    }

    fn emit(&self, event: &Event) {
        if event.is_alert() {
            tracing::warn!(target: "latchkey::audit", event = event.name(), detail = ?event);
        } else {
            tracing::info!(target: "latchkey::audit", event = event.name(), detail = ?event);
        }
    }
}

/// Discards every event.
#[derive(Debug, Default, Clone, Copy)]
pub struct NullSink;

impl EventSink for NullSink {
    fn emit(&self, _event: &Event) {}

    fn enabled(&self) -> bool {
        false
    }
}

/// Queues events on a bounded channel for a consumer (a task writing to a database or a
/// message bus). When the queue is full the event is dropped and counted, never waited for.
#[derive(Debug)]
pub struct ChannelSink {
    sender: mpsc::SyncSender<Event>,
    dropped: AtomicU64,
}

impl ChannelSink {
    /// A sink holding at most `capacity` undelivered events, and the receiving end.
    pub fn new(capacity: usize) -> (Self, mpsc::Receiver<Event>) {
        let (sender, receiver) = mpsc::sync_channel(capacity);
        (
            Self {
                sender,
                dropped: AtomicU64::new(0),
            },
            receiver,
        )
    }

    /// How many events were dropped because the queue was full or closed.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl EventSink for ChannelSink {
    fn emit(&self, event: &Event) {
        if self.sender.try_send(event.clone()).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Keeps every event in memory; for tests.
#[derive(Debug, Default)]
pub struct RecordingSink {
    events: Mutex<Vec<Event>>,
}

impl RecordingSink {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// The events recorded so far, oldest first.
    pub fn events(&self) -> Vec<Event> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The names of the events recorded so far.
    pub fn names(&self) -> Vec<&'static str> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(Event::name)
            .collect()
    }
}

impl EventSink for RecordingSink {
    fn emit(&self, event: &Event) {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(event.clone());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn event() -> Event {
        Event::AuthorizationDenied {
            client_id: ClientId::new("c").unwrap(),
        }
    }

    #[test]
    fn channel_sink_drops_instead_of_blocking_when_full() {
        let (sink, receiver) = ChannelSink::new(1);
        sink.emit(&event());
        sink.emit(&event());
        assert_eq!(sink.dropped(), 1);
        assert_eq!(receiver.try_recv().unwrap(), event());
    }

    #[test]
    fn only_sinks_that_record_say_they_are_enabled() {
        assert!(!NullSink.enabled());
        // No tracing subscriber is installed in unit tests.
        assert!(!TracingSink.enabled());
        assert!(RecordingSink::new().enabled());
        assert!(ChannelSink::new(1).0.enabled());
    }

    #[test]
    fn recording_sink_keeps_order() {
        let sink = RecordingSink::new();
        sink.emit(&event());
        assert_eq!(sink.names(), vec!["authorization_denied"]);
    }
}
