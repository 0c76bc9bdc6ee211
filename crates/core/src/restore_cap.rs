//! Never fight forever: a key written back `daemon.events.restore_limit`
//! times on one resource within `restore_window` is left alone there
//! until the window has passed, by every writer (restores, cycles,
//! `apply`): whatever keeps removing it (a Terraform apply, a stack
//! update) is named in the daemon's log with its fix, and fighting it
//! would only churn.

use crate::apply_rules::AppliedChange;
use crate::plan::{Change, Skip};
use crate::time::rfc3339;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

/// One key written back by a `restore` run, as the journal holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub arn: String,
    pub key: String,
    pub at: DateTime<Utc>,
}

/// The keys left alone now: per (ARN, key), until when.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capped {
    until: HashMap<(String, String), DateTime<Utc>>,
    limit: u32,
    window: Duration,
}

impl Capped {
    /// From the restores of the last `window` (older ones are ignored): a
    /// key restored `limit` times is capped until the oldest of its last
    /// `limit` restores leaves the window.
    pub fn of(restores: &[Restored], limit: u32, window: Duration, now: DateTime<Utc>) -> Capped {
        let mut times: HashMap<(String, String), Vec<DateTime<Utc>>> = HashMap::new();
        for r in restores
            .iter()
            .filter(|r| r.at > now - window && r.at <= now)
        {
            times
                .entry((r.arn.clone(), r.key.clone()))
                .or_default()
                .push(r.at);
        }
        let limit_n = limit.max(1) as usize;
        let until = times
            .into_iter()
            .filter_map(|(k, mut at)| {
                if at.len() < limit_n {
                    return None;
                }
                at.sort_unstable();
                Some((k, at[at.len() - limit_n] + window))
            })
            .collect();
        Capped {
            until,
            limit,
            window,
        }
    }

    pub fn len(&self) -> usize {
        self.until.len()
    }

    pub fn is_empty(&self) -> bool {
        self.until.is_empty()
    }

    /// Until when `key` on `arn` is left alone, if it is.
    pub fn until(&self, arn: &str, key: &str) -> Option<DateTime<Utc>> {
        self.until.get(&(arn.to_string(), key.to_string())).copied()
    }

    fn reason(&self, key: &str, until: DateTime<Utc>) -> String {
        let hours = self.window.num_minutes() as f64 / 60.0;
        format!(
            "capped: `{key}` was written back {} times within {hours} h on this resource and something keeps removing it; left alone until {} (the daemon's log names who removes it and how to stop them)",
            self.limit,
            rfc3339(until)
        )
    }

    /// Split `c` into what may still be written and what is held (its
    /// capped keys), with why.
    fn split(&self, c: Change) -> (Option<Change>, Option<(Change, String)>) {
        let mut why = Vec::new();
        let (mut kept, mut held) = (c.clone(), c);
        kept.set
            .retain(|k, _| match self.until(held.arn.as_str(), k) {
                Some(until) => {
                    why.push(self.reason(k, until));
                    false
                }
                None => true,
            });
        held.set.retain(|k, _| !kept.set.contains_key(k));
        kept.previous.retain(|k, _| kept.set.contains_key(k));
        held.previous.retain(|k, _| held.set.contains_key(k));
        (
            (!kept.set.is_empty()).then_some(kept),
            (!held.set.is_empty()).then(|| (held, why.join("; "))),
        )
    }

    /// The changes less their capped keys; those keys are held, with why
    /// (status `capped`), whether or not others of the change are written.
    pub fn hold(&self, changes: Vec<Change>) -> (Vec<Change>, Vec<AppliedChange>) {
        if self.is_empty() {
            return (changes, Vec::new());
        }
        let mut kept = Vec::new();
        let mut held = Vec::new();
        for c in changes {
            let (k, h) = self.split(c);
            kept.extend(k);
            held.extend(h.map(|(c, why)| AppliedChange::capped(c, why)));
        }
        (kept, held)
    }

    /// A plan's changes less their capped keys; a change left with nothing
    /// is a skip saying why.
    pub fn hold_planned(&self, changes: Vec<Change>) -> (Vec<Change>, Vec<Skip>) {
        let (kept, held) = self.hold(changes);
        let skipped = held
            .into_iter()
            .map(|h| Skip {
                arn: h.change.arn,
                account: h.change.account,
                region: h.change.region,
                resource_type: h.change.resource_type,
                policy: h.change.policy,
                reason: h.reason.unwrap_or_default(),
            })
            .collect();
        (kept, skipped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply_rules::Status;
    use chrono::TimeZone;

    const ARN: &str = "arn:aws:ec2:us-east-1:111111111111:instance/i-1";

    fn at(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, 0, 0, 0).unwrap() + Duration::hours(h)
    }

    fn restored(key: &str, h: i64) -> Restored {
        Restored {
            arn: ARN.into(),
            key: key.into(),
            at: at(h),
        }
    }

    fn change(keys: &[&str]) -> Change {
        Change {
            arn: crate::arn::arn(ARN),
            account: "111111111111".into(),
            region: "us-east-1".into(),
            resource_type: "ec2:instance".into(),
            policy: "map".into(),
            set: keys.iter().map(|k| (k.to_string(), "v".into())).collect(),
            previous: keys.iter().map(|k| (k.to_string(), None)).collect(),
            due: None,
        }
    }

    #[test]
    fn the_limit_within_the_window_caps_until_the_oldest_leaves_it() {
        let day = Duration::hours(24);
        let r = [
            restored("map-migrated", 1),
            restored("map-migrated", 5),
            restored("map-migrated", 9),
            restored("Owner", 9),
            // Older than the window.
            restored("Owner", -30),
            restored("Owner", -20),
        ];
        let c = Capped::of(&r, 3, day, at(10));
        assert_eq!(c.until(ARN, "map-migrated"), Some(at(25)));
        assert_eq!(c.until(ARN, "Owner"), None);
        assert_eq!(c.len(), 1);
        // Two restores are not three; after the window nothing is capped.
        assert!(Capped::of(&r[..2], 3, day, at(10)).is_empty());
        assert!(Capped::of(&r, 3, day, at(26)).is_empty());
        // With four, the cap lasts from the second oldest of the last three.
        let four = [&r[..3], &[restored("map-migrated", 12)]].concat();
        assert_eq!(
            Capped::of(&four, 3, day, at(13)).until(ARN, "map-migrated"),
            Some(at(29))
        );
    }

    #[test]
    fn capped_keys_are_held_and_the_rest_written() {
        let c = Capped::of(
            &[1, 2, 3].map(|h| restored("map-migrated", h)),
            3,
            Duration::hours(24),
            at(4),
        );
        let (kept, held) = c.hold(vec![
            change(&["map-migrated", "Owner"]),
            change(&["map-migrated"]),
        ]);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].set.keys().collect::<Vec<_>>(), ["Owner"]);
        assert_eq!(kept[0].previous.keys().collect::<Vec<_>>(), ["Owner"]);
        // Both changes' capped key is held, the partly written one's too.
        assert_eq!(held.len(), 2);
        assert!(held.iter().all(|h| h.status == Status::Capped));
        assert!(held
            .iter()
            .all(|h| h.change.set.keys().collect::<Vec<_>>() == ["map-migrated"]));
        assert_eq!(
            held[0].reason.as_deref(),
            Some("capped: `map-migrated` was written back 3 times within 24 h on this resource and something keeps removing it; left alone until 2026-12-08T01:00:00Z (the daemon's log names who removes it and how to stop them)")
        );
        let (_, skipped) = c.hold_planned(vec![change(&["map-migrated"])]);
        assert!(skipped[0].reason.starts_with("capped: `map-migrated`"));
        // Nothing capped: everything passes untouched.
        let none = Capped::default();
        assert_eq!(none.hold(vec![change(&["k"])]).0, vec![change(&["k"])]);
    }
}
