//! Tag on create's metrics: events by name and outcome, event-to-tagged
//! latency, queue lag. Names are bounded: the creation calls tagwarden
//! knows, else `other`; outcomes are a fixed set.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;
use tagwarden_core::cloudtrail::tool::Tool;
use tagwarden_core::cloudtrail::{event_label, EventOutcome};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Received {
    event: &'static str,
    outcome: &'static str,
}

/// A tag call that touched a policy's key.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Removal {
    policy: String,
    tool: &'static str,
    outcome: &'static str,
}

pub struct EventMetrics {
    received: Family<Received, Counter>,
    removals: Family<Removal, Counter>,
    latency: Histogram,
    lag: Gauge<f64, AtomicU64>,
}

impl Default for EventMetrics {
    fn default() -> EventMetrics {
        EventMetrics {
            received: Family::default(),
            removals: Family::default(),
            // 0.25 s to ~70 min.
            latency: Histogram::new(exponential_buckets(0.25, 2.0, 15)),
            lag: Gauge::default(),
        }
    }
}

impl EventMetrics {
    pub fn register(&self, r: &mut Registry) {
        let received = "CloudTrail events received from the queues, by event name and outcome";
        r.register("events", received, self.received.clone());
        let removals = "Tag calls that removed or changed a policy's key, by policy, the tool that made them and what became of them";
        r.register("tag_removals", removals, self.removals.clone());
        r.register_with_unit(
            "event_to_tagged",
            "From a creation event's time to its resources tagged (enforce mode)",
            Unit::Seconds,
            self.latency.clone(),
        );
        r.register_with_unit(
            "event_queue_lag",
            "Age of the oldest message of the last receive",
            Unit::Seconds,
            self.lag.clone(),
        );
    }

    /// Count one event; an unknown name is `other`, so labels stay bounded.
    pub fn event(&self, name: &str, outcome: EventOutcome) {
        self.received
            .get_or_create(&Received {
                event: event_label(name),
                outcome: outcome.label(),
            })
            .inc();
    }

    /// Count a tag call that touched `policy`'s keys.
    pub fn removal(&self, policy: &str, tool: Tool, outcome: EventOutcome) {
        self.removals
            .get_or_create(&Removal {
                policy: policy.to_string(),
                tool: tool.label(),
                outcome: outcome.label(),
            })
            .inc();
    }

    pub fn tagged_after(&self, seconds: f64) {
        self.latency.observe(seconds.max(0.0));
    }

    pub fn lag(&self, seconds: f64) {
        self.lag.set(seconds.max(0.0));
    }
}
