//! `map:`: the MAP agreement (MPE id, window) and the credit terms that
//! `credits` computes with. AWS's terms differ per agreement and are not
//! public, so every one of them is configuration, stated in each report.

use super::{key, parse_time, Checker};
pub use crate::billing::eligible::EligibleService;
use crate::money::Decimal;
use crate::policy::map_format::{MapTag, MapTags, Scheme};
use crate::yaml::lenient;
use crate::yaml::{index, Seg};
use chrono::NaiveDate;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MapSpec {
    #[serde(default, deserialize_with = "lenient::opt_string")]
    mpe_id: Option<String>,
    /// `{key, id}` or a list of them: checked by hand for positions.
    #[serde(default)]
    tag: Option<serde_yaml_ng::Value>,
    #[serde(default)]
    agreement: Option<AgreementSpec>,
    #[serde(default)]
    credit_rate: Option<f64>,
    #[serde(default)]
    min_migrated_spend: Option<f64>,
    #[serde(default)]
    target: Option<f64>,
    /// A name or code, or `{service, from}`: checked by hand for positions.
    #[serde(default)]
    eligible_services: Option<Vec<serde_yaml_ng::Value>>,
    #[serde(default)]
    workload_tags: Option<Vec<serde_yaml_ng::Value>>,
    #[serde(default)]
    issuance: Option<String>,
    #[serde(default)]
    quarters: Option<String>,
    #[serde(default)]
    cost_explorer_cache: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    credit_description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AgreementSpec {
    #[serde(deserialize_with = "lenient::string")]
    start: String,
    #[serde(deserialize_with = "lenient::string")]
    end: String,
}

#[derive(Debug, Clone)]
pub struct MapAgreement {
    /// The MAP tags the agreement's resources carry (`map.tag`, or
    /// `map-migrated` with `map.mpe_id`), in the configuration's order.
    pub tags: MapTags,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub credit_rate: Decimal,
    pub min_migrated_spend: Decimal,
    /// The migrated spend the agreement commits to over its whole term
    /// (not per year): tagged eligible spend from its start to its end.
    pub target: Option<Decimal>,
    /// The services whose spend counts toward credits, by Cost Explorer
    /// name or bill product code, each maybe from a date: by default (and
    /// where the configuration says `default`) the rows of AWS's
    /// Migrations Included Services List.
    pub eligible_services: Vec<EligibleService>,
    /// The tag keys that name a resource's workload, in order: the first
    /// one a resource carries wins. Empty: no workload view.
    pub workload_tags: Vec<String>,
    pub issuance: Issuance,
    pub quarters: QuarterBasis,
    /// How long Cost Explorer answers are reused from the store (each
    /// request costs USD 0.01); None: never.
    pub cost_explorer_cache: Option<std::time::Duration>,
    /// Which credit rows of a billing export are MAP credits, by their
    /// description (Cost Explorer cannot tell credits apart).
    pub credit_description: regex::Regex,
}

/// MAP credits' descriptions, as AWS words them in the bill.
pub const DEFAULT_CREDIT_DESCRIPTION: &str = r"(?i)migration acceleration|\bMAP\b";

/// How often AWS issues the credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issuance {
    Quarterly,
    Monthly,
}

/// Where quarters start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuarterBasis {
    /// Q1 of the agreement starts on its start date's month.
    Agreement,
    /// January, April, July, October.
    Calendar,
}

/// The entry of `map.eligible_services` that stands for the whole
/// Included Services List.
pub const DEFAULT_LIST: &str = "default";

/// One `map.tag` entry: `{key, id}`; the error's field and words.
fn map_tag(v: &serde_yaml_ng::Value) -> Result<MapTag, (Option<&'static str>, String)> {
    let expected =
        "a MAP tag is `{key: map-migrated, id: <MPE ID>}` or `{key: aws-apn-id, id: <PRM ID>}`";
    let serde_yaml_ng::Value::Mapping(m) = v else {
        return Err((None, expected.into()));
    };
    if let Some(other) = m.keys().find(|k| !matches!(k.as_str(), Some("key" | "id"))) {
        let name = other.as_str().unwrap_or("?");
        return Err((None, format!("unknown field `{name}`; {expected}")));
    }
    let text = |f: &str| m.get(f).and_then(crate::yaml::scalar_text);
    let key_text = text("key").ok_or((Some("key"), expected.to_string()))?;
    let scheme = Scheme::of_key(&key_text).ok_or_else(|| {
        (
            Some("key"),
            format!("unknown MAP tag key `{key_text}`; expected `map-migrated` (MAP 2.0, with an MPE ID) or `aws-apn-id` (MAP 2.0 under AWS Transform, with a PRM ID), exactly"),
        )
    })?;
    let id = match text("id") {
        None => None,
        Some(id) => {
            scheme.check_id(&id).map_err(|why| (Some("id"), why))?;
            Some(id)
        }
    };
    Ok(MapTag { scheme, id })
}

/// The longest tag key AWS accepts.
const MAX_TAG_KEY: usize = 128;

impl Default for MapAgreement {
    fn default() -> MapAgreement {
        MapAgreement {
            tags: MapTags::default(),
            start: None,
            end: None,
            credit_rate: Decimal::new(25, 2),
            min_migrated_spend: Decimal::new(50_000, 0),
            target: None,
            eligible_services: crate::billing::eligible::default_services(),
            workload_tags: Vec::new(),
            issuance: Issuance::Quarterly,
            quarters: QuarterBasis::Agreement,
            cost_explorer_cache: Some(std::time::Duration::from_secs(12 * 3600)),
            credit_description: regex::Regex::new(DEFAULT_CREDIT_DESCRIPTION)
                .expect("the default pattern compiles"),
        }
    }
}

impl Checker<'_> {
    pub(super) fn map(&mut self, mut m: MapSpec, out: &mut MapAgreement) {
        let map = key(&[], "map");
        self.map_tags(&mut m, out);
        if let Some(a) = m.agreement.take() {
            self.agreement(a, out);
        }
        self.amounts(&m, out);
        if let Some(list) = m.eligible_services.take() {
            out.eligible_services = self.eligible_services(&list);
        }
        if let Some(list) = m.workload_tags.take() {
            out.workload_tags = self.workload_tags(&list);
        }
        match m.issuance.as_deref() {
            None | Some("quarterly") => {}
            Some("monthly") => out.issuance = Issuance::Monthly,
            Some(v) => self.error(
                &key(&map, "issuance"),
                format!("unknown issuance `{v}`; expected `quarterly` or `monthly`"),
            ),
        }
        match m.cost_explorer_cache.as_deref() {
            None => {}
            Some("off") => out.cost_explorer_cache = None,
            Some(d) => match super::parse_duration(d) {
                Ok(d) => out.cost_explorer_cache = Some(d),
                Err(why) => self.error(
                    &key(&map, "cost_explorer_cache"),
                    format!("{why} (or `off`)"),
                ),
            },
        }
        if let Some(pattern) = &m.credit_description {
            self.credit_description(pattern, out);
        }
        match m.quarters.as_deref() {
            None | Some("agreement") => {}
            Some("calendar") => out.quarters = QuarterBasis::Calendar,
            Some(v) => self.error(
                &key(&map, "quarters"),
                format!("unknown quarters `{v}`; expected `agreement` (from the agreement's start) or `calendar`"),
            ),
        }
    }

    /// `map.tag` (one `{key, id}` or a list, one per scheme) and
    /// `map.mpe_id`, its shorthand for `{key: map-migrated, id: …}`.
    fn map_tags(&mut self, m: &mut MapSpec, out: &mut MapAgreement) {
        let map = key(&[], "map");
        let mpe_id = m.mpe_id.take().filter(|id| {
            let checked = Scheme::MapMigrated.check_id(id);
            if let Err(why) = &checked {
                self.error(&key(&map, "mpe_id"), why.clone());
            }
            checked.is_ok()
        });
        let Some(spec) = m.tag.take() else {
            out.tags = MapTags::map_migrated(mpe_id);
            return;
        };
        let at = key(&map, "tag");
        let entries: Vec<(Vec<Seg>, &serde_yaml_ng::Value)> = match &spec {
            serde_yaml_ng::Value::Sequence(list) => list
                .iter()
                .enumerate()
                .map(|(i, v)| (index(&at, i), v))
                .collect(),
            one => vec![(at.clone(), one)],
        };
        let mut tags: Vec<MapTag> = Vec::new();
        for (here, entry) in entries {
            match map_tag(entry) {
                Ok(t) if tags.iter().any(|u| u.scheme == t.scheme) => self.error(
                    &here,
                    format!(
                        "`{}` is listed twice: one agreement per MAP tag key",
                        t.scheme.key()
                    ),
                ),
                Ok(mut t) => {
                    if t.scheme == Scheme::MapMigrated && mpe_id.is_some() {
                        if t.id.is_some() {
                            self.error(&key(&map, "mpe_id"), "mpe_id and a `map-migrated` entry of `tag` both give the MPE ID: keep one".into());
                        }
                        t.id = t.id.or(mpe_id.clone());
                    }
                    tags.push(t)
                }
                Err((field, why)) => {
                    self.error(&field.map_or(here.clone(), |f| key(&here, f)), why)
                }
            }
        }
        if mpe_id.is_some() && tags.iter().all(|t| t.scheme != Scheme::MapMigrated) {
            self.error(&key(&map, "mpe_id"), "mpe_id is the `map-migrated` tag's MPE ID, but `tag` does not count `map-migrated`: add `{key: map-migrated, id: …}` to `tag`, or remove mpe_id".into());
        }
        match MapTags::new(tags) {
            Some(tags) => out.tags = tags,
            None if matches!(spec, serde_yaml_ng::Value::Sequence(ref l) if l.is_empty()) => {
                self.error(&at, "tag is empty: name the MAP tag, `{key: map-migrated, id: <MPE ID>}` or `{key: aws-apn-id, id: <PRM ID>}`".into())
            }
            None => {}
        }
    }

    /// The terms' numbers: credit rate, threshold and target, as decimals.
    fn amounts(&mut self, m: &MapSpec, out: &mut MapAgreement) {
        let map = key(&[], "map");
        if let Some(r) = m.credit_rate {
            if !(0.0..=1.0).contains(&r) {
                self.error(
                    &key(&map, "credit_rate"),
                    format!("credit_rate {r} must be between 0 and 1 (0.25 means 25 %)"),
                );
            }
            out.credit_rate = crate::money::from_f64(r).unwrap_or_default();
        }
        if let Some(s) = m.min_migrated_spend {
            if s < 0.0 || !s.is_finite() {
                self.error(
                    &key(&map, "min_migrated_spend"),
                    format!("min_migrated_spend {s} must be a positive amount (0 for none)"),
                );
            }
            out.min_migrated_spend = crate::money::from_f64(s).unwrap_or_default();
        }
        if let Some(target) = m.target {
            match crate::money::from_f64(target).filter(|t| *t > Decimal::ZERO) {
                Some(t) => out.target = Some(t),
                None => self.error(
                    &key(&map, "target"),
                    format!("target {target} must be a positive amount: the migrated spend the agreement commits to over its whole term"),
                ),
            }
        }
    }

    /// `map.eligible_services`: names or codes, or `{service, from}`, or
    /// `default` for the whole Included Services List.
    fn eligible_services(&mut self, list: &[serde_yaml_ng::Value]) -> Vec<EligibleService> {
        let at = key(&key(&[], "map"), "eligible_services");
        if list.is_empty() {
            self.error(
                &at,
                "eligible_services is empty: no spend could earn credit; remove it for AWS's Migrations Included Services List, or list `default` and your additions".into(),
            );
        }
        let mut out = Vec::new();
        let mut defaults = 0;
        for (i, item) in list.iter().enumerate() {
            let here = index(&at, i);
            if item.as_str().map(str::trim) == Some(DEFAULT_LIST) {
                defaults += 1;
                match defaults {
                    1 => out.extend(crate::billing::eligible::default_services()),
                    _ => self.error(&here, format!("`{DEFAULT_LIST}` is listed twice")),
                }
                continue;
            }
            match eligible_entry(item) {
                Ok(e) => out.push(e),
                Err((field, why)) => {
                    let path = match field {
                        Some(f) => key(&here, f),
                        None => here,
                    };
                    self.error(&path, why);
                }
            }
        }
        out
    }

    /// `map.workload_tags`: distinct tag keys, none of them `map-migrated`.
    fn workload_tags(&mut self, list: &[serde_yaml_ng::Value]) -> Vec<String> {
        let at = key(&key(&[], "map"), "workload_tags");
        let mut out: Vec<String> = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let here: Vec<Seg> = index(&at, i);
            let why = match item.as_str().map(str::trim) {
                None | Some("") => Some("a workload tag is a tag key such as `app`".to_string()),
                Some(k) if k.len() > MAX_TAG_KEY => {
                    Some(format!("a tag key has at most {MAX_TAG_KEY} characters"))
                }
                Some(k) if Scheme::of_key(k).is_some() => Some(format!("`{k}` is the MAP tag, not a workload: name the key your teams put the application in (`app`, `workload`)")),
                Some(k) if out.iter().any(|o| o == k) => Some(format!("`{k}` is listed twice")),
                Some(k) => {
                    out.push(k.to_string());
                    None
                }
            };
            if let Some(why) = why {
                self.error(&here, why);
            }
        }
        out
    }

    fn credit_description(&mut self, pattern: &str, out: &mut MapAgreement) {
        match regex::Regex::new(pattern) {
            Ok(re) => out.credit_description = re,
            Err(e) => self.error(
                &key(&key(&[], "map"), "credit_description"),
                format!("credit_description is not a regular expression: {e}"),
            ),
        }
    }

    fn agreement(&mut self, a: AgreementSpec, out: &mut MapAgreement) {
        let ag = key(&key(&[], "map"), "agreement");
        let mut date = |field: &str, s: &str| {
            let d = parse_time(s).map(|t| t.date_naive());
            if d.is_none() {
                self.error(
                    &key(&ag, field),
                    format!("`{s}` is not a date such as 2026-01-01"),
                );
            }
            d
        };
        out.start = date("start", &a.start);
        out.end = date("end", &a.end);
        if let (Some(s), Some(e)) = (out.start, out.end) {
            if s > e {
                self.error(
                    &key(&ag, "start"),
                    format!("the agreement starts ({s}) after it ends ({e})"),
                );
            }
        }
    }
}

/// One entry of `map.eligible_services`, or the field that is wrong and why.
fn eligible_entry(
    item: &serde_yaml_ng::Value,
) -> Result<EligibleService, (Option<&'static str>, String)> {
    fn text(v: &serde_yaml_ng::Value) -> Option<&str> {
        v.as_str().map(str::trim).filter(|s| !s.is_empty())
    }
    if let Some(name) = text(item) {
        return Ok(EligibleService::named(name));
    }
    let Some(map) = item.as_mapping() else {
        return Err((None, "an eligible service is a name or product code (`AmazonEC2`), or `{service: AWSLambda, from: 2026-03-01}`".into()));
    };
    if let Some(other) = map
        .keys()
        .filter_map(|k| k.as_str())
        .find(|k| !["service", "from"].contains(k))
    {
        return Err((
            None,
            format!("unknown field `{other}`; expected `service` and `from`"),
        ));
    }
    let service = map.get("service").and_then(text).ok_or((
        None,
        "`service` is missing: the Cost Explorer name or product code".to_string(),
    ))?;
    let from = match map.get("from") {
        None => None,
        Some(v) => {
            let s = text(v).unwrap_or("");
            Some(
                s.parse::<NaiveDate>()
                    .map_err(|_| (Some("from"), format!("`{s}` is not a date such as 2026-03-01: the day the service became eligible")))?,
            )
        }
    };
    Ok(EligibleService {
        from,
        origin: crate::billing::eligible::Origin::Configuration,
        service: service.to_string(),
    })
}

#[cfg(test)]
#[path = "map_tests.rs"]
mod tests;
