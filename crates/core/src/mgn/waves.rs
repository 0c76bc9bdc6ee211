//! Waves as a migration team sees them: a wave by name (one name may hold
//! waves in several accounts and regions, listed per account and region),
//! `--wave NAME_OR_ID` selection, and each wave's readiness counts.

use super::readiness::{judge, Launched, Reason, Verdict, Why};
use super::{Application, Estate, Place, SourceServer, Wave};
use crate::policy::Policy;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// `--wave` named no wave.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--wave {wanted}: no wave has this name or ID in the scanned accounts and regions; {}", known_waves(.known))]
pub struct UnknownWave {
    pub wanted: String,
    /// Every wave there is: `name (id, account, region)`.
    pub known: Vec<String>,
}

fn known_waves(known: &[String]) -> String {
    if known.is_empty() {
        "MGN holds no (unarchived) wave there".into()
    } else {
        format!("the waves are: {}", known.join(", "))
    }
}

/// The waves `--wave` chose, by (place, wave id); every wave when none was named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection(BTreeSet<(Place, String)>);

impl Selection {
    /// `wanted`: names or wave IDs; a name takes the waves of that name in
    /// every account and region. Every entry must name at least one wave.
    pub fn of(estate: &Estate, wanted: &[String]) -> Result<Selection, UnknownWave> {
        let mut chosen = BTreeSet::new();
        for w in wanted {
            let hits: Vec<&Wave> = estate.waves.iter().filter(|wave| wave.is(w)).collect();
            if hits.is_empty() {
                return Err(UnknownWave {
                    wanted: w.clone(),
                    known: estate
                        .waves
                        .iter()
                        .map(|w| {
                            format!(
                                "{} ({}, {}, {})",
                                w.name, w.id, w.place.account, w.place.region
                            )
                        })
                        .collect(),
                });
            }
            chosen.extend(hits.into_iter().map(|w| (w.place.clone(), w.id.clone())));
        }
        if wanted.is_empty() {
            return Ok(Selection::every(estate));
        }
        Ok(Selection(chosen))
    }

    /// The waves `wanted` names that this estate holds (part of the
    /// estate: one account and region), naming none an error.
    pub fn matching(estate: &Estate, wanted: &[String]) -> Selection {
        Selection(
            estate
                .waves
                .iter()
                .filter(|w| wanted.iter().any(|name| w.is(name)))
                .map(|w| (w.place.clone(), w.id.clone()))
                .collect(),
        )
    }

    /// Every wave of the estate.
    pub fn every(estate: &Estate) -> Selection {
        Selection(
            estate
                .waves
                .iter()
                .map(|w| (w.place.clone(), w.id.clone()))
                .collect(),
        )
    }

    pub fn has(&self, place: &Place, wave_id: &str) -> bool {
        self.0.contains(&(place.clone(), wave_id.to_string()))
    }

    /// The servers of the chosen waves (through their applications).
    pub fn servers<'a>(&self, estate: &'a Estate) -> Vec<&'a SourceServer> {
        let apps = applications(estate);
        estate
            .servers
            .iter()
            .filter(|s| {
                application_of(&apps, s)
                    .and_then(|a| a.wave_id.as_deref())
                    .is_some_and(|wave| self.has(&s.place, wave))
            })
            .collect()
    }
}

impl Wave {
    /// Whether `--wave NAME_OR_ID` names it.
    fn is(&self, name_or_id: &str) -> bool {
        self.id == name_or_id || self.name == name_or_id
    }
}

impl Estate {
    /// Only the servers of the waves `wanted` names (by name or ID; all of
    /// them when it names none), so that only theirs launch settings are
    /// read. Waves and applications stay, for `UnknownWave` and the rows.
    pub fn only_waves(mut self, wanted: &[String]) -> Estate {
        if wanted.is_empty() {
            return self;
        }
        let chosen = Selection::matching(&self, wanted);
        let keep: BTreeSet<(Place, String)> = chosen
            .servers(&self)
            .into_iter()
            .map(|s| (s.place.clone(), s.id.clone()))
            .collect();
        self.servers
            .retain(|s| keep.contains(&(s.place.clone(), s.id.clone())));
        self
    }
}

type Applications<'a> = HashMap<(&'a Place, &'a str), &'a Application>;

/// Every application, by place and ID.
fn applications(estate: &Estate) -> Applications<'_> {
    estate
        .applications
        .iter()
        .map(|a| ((&a.place, a.id.as_str()), a))
        .collect()
}

fn application_of<'a>(apps: &Applications<'a>, s: &SourceServer) -> Option<&'a Application> {
    let id = s.application_id.as_deref()?;
    apps.get(&(&s.place, id)).copied()
}

/// A server that is not ready, for the list a team works through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerRow {
    pub id: String,
    pub arn: String,
    pub hostname: Option<String>,
    pub application: Option<String>,
    pub state: String,
    pub launched_instance: Option<String>,
    pub reasons: Vec<Why>,
}

/// One wave in one account and region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaveRow {
    pub name: String,
    pub id: String,
    pub account: String,
    pub region: String,
    pub applications: usize,
    /// Its unarchived source servers.
    pub servers: usize,
    /// Servers per lifecycle state.
    pub states: BTreeMap<String, usize>,
    pub ready: usize,
    pub not_ready: usize,
    /// In no policy's scope (e.g. exempt by a tag): not judged.
    pub out_of_scope: usize,
    /// Servers whose launched instance (test or cutover) exists.
    pub launched: usize,
    /// Of those, the ones whose instance lacks a required key or value.
    pub launched_untagged: usize,
    /// Not-ready servers per reason (a server counts once per reason).
    pub reasons: BTreeMap<Reason, usize>,
    pub not_ready_servers: Vec<ServerRow>,
}

/// Every chosen wave's row, by name, then account and region: one pass
/// over the applications and one over the servers.
pub fn rows(
    estate: &Estate,
    selection: &Selection,
    policies: &[Policy],
    launched: &Launched,
) -> Vec<WaveRow> {
    let chosen: Vec<&Wave> = estate
        .waves
        .iter()
        .filter(|w| selection.has(&w.place, &w.id))
        .collect();
    let index: HashMap<(&Place, &str), usize> = chosen
        .iter()
        .enumerate()
        .map(|(i, w)| ((&w.place, w.id.as_str()), i))
        .collect();
    let mut rows: Vec<WaveRow> = chosen.into_iter().map(empty_row).collect();
    let row_of = |place, wave: Option<&str>| wave.and_then(|w| index.get(&(place, w)).copied());
    for a in &estate.applications {
        if let Some(i) = row_of(&a.place, a.wave_id.as_deref()) {
            rows[i].applications += 1;
        }
    }
    let apps = applications(estate);
    for s in &estate.servers {
        let app = application_of(&apps, s);
        if let Some(i) = row_of(&s.place, app.and_then(|a| a.wave_id.as_deref())) {
            count(
                &mut rows[i],
                s,
                app.map(|a| a.name.as_str()),
                policies,
                launched,
            );
        }
    }
    rows.sort_by(|a, b| (&a.name, &a.account, &a.region).cmp(&(&b.name, &b.account, &b.region)));
    rows
}

fn empty_row(w: &Wave) -> WaveRow {
    WaveRow {
        name: w.name.clone(),
        id: w.id.clone(),
        account: w.place.account.clone(),
        region: w.place.region.clone(),
        applications: 0,
        servers: 0,
        states: BTreeMap::new(),
        ready: 0,
        not_ready: 0,
        out_of_scope: 0,
        launched: 0,
        launched_untagged: 0,
        reasons: BTreeMap::new(),
        not_ready_servers: Vec::new(),
    }
}

fn count(
    row: &mut WaveRow,
    s: &SourceServer,
    application: Option<&str>,
    policies: &[Policy],
    launched: &Launched,
) {
    row.servers += 1;
    *row.states.entry(s.state.label().to_string()).or_default() += 1;
    let running = s
        .launched_instance
        .as_ref()
        .is_some_and(|id| launched.instances.contains_key(id));
    row.launched += usize::from(running);
    let verdict = judge(s, policies, launched);
    let reasons: BTreeSet<Reason> = verdict.reasons().iter().map(|w| w.reason).collect();
    row.launched_untagged += usize::from(reasons.contains(&Reason::LaunchedUntagged));
    match verdict {
        Verdict::OutOfScope => row.out_of_scope += 1,
        Verdict::Ready => row.ready += 1,
        Verdict::NotReady(why) => {
            row.not_ready += 1;
            for r in reasons {
                *row.reasons.entry(r).or_default() += 1;
            }
            row.not_ready_servers.push(ServerRow {
                id: s.id.clone(),
                arn: s.arn.to_string(),
                hostname: s.hostname.clone(),
                application: application.map(str::to_string),
                state: s.state.label().to_string(),
                launched_instance: s.launched_instance.clone(),
                reasons: why,
            });
        }
    }
}
