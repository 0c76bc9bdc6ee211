//! Where each creation call's CloudTrail record names what it created:
//! the catalogue (`crate::catalogue`) says where for each call, this reads
//! it. The shapes records take are described there.

use crate::catalogue::{self, CreationCall, Located, Names, Side};
use serde_json::Value;

/// A call tagwarden reads: the service that records it and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    /// `eventSource`: `ec2.amazonaws.com`.
    pub source: &'static str,
    pub name: &'static str,
}

/// The creation call an event records, by its service and name.
pub fn find(source: &str, name: &str) -> Option<&'static CreationCall> {
    catalogue::creation_calls()
        .iter()
        .find(|c| c.source == source && c.name == name)
}

/// What a record names: an ARN, or an id or name to build one from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Named {
    Arn {
        resource_type: &'static str,
        arn: String,
    },
    Id {
        resource_type: &'static str,
        id: String,
    },
}

/// Where the record names what it created, or which field is missing.
pub fn named(call: &CreationCall, d: &Value) -> Result<Vec<Named>, &'static str> {
    let resp = get(d, "responseElements");
    let ty = call.resource_type;
    let one = |id: Option<String>, field| {
        id.map(|id| {
            vec![Named::Id {
                resource_type: ty,
                id,
            }]
        })
        .ok_or(field)
    };
    match call.names {
        Names::At(l) => at(l, d, ty),
        Names::Ec2 { keys, field } => one(text(ec2(resp, call.name, keys)), *field),
        Names::Ec2List { list, key, field } => {
            ids_at(ec2(resp, call.name, &[list]), key, ty, field)
        }
        Names::Fleet => fleet(resp),
        Names::LoadBalancers => load_balancers(d, ty),
        Names::ApiStage => api_stage(d),
    }
}

/// API Gateway `CreateStage`: a REST API's stage when the request names
/// `restApiId`, an HTTP or WebSocket API's when it names `apiId`; the
/// stage's name from the answer, else the request.
fn api_stage(d: &Value) -> Result<Vec<Named>, &'static str> {
    let req = get(d, "requestParameters");
    let resp = get(d, "responseElements");
    let (resource_type, api) = [
        ("apigateway:restapis/stages", "restApiId"),
        ("apigateway:apis/stages", "apiId"),
    ]
    .into_iter()
    .find_map(|(ty, member)| Some((ty, text(path(req, &[member]))?)))
    .ok_or("detail.requestParameters.restApiId")?;
    let stage = text(path(resp, &["stageName"]))
        .or_else(|| text(path(req, &["stageName"])))
        .or_else(|| text(path(req, &["createStageInput", "stageName"])))
        .ok_or("detail.responseElements.stageName")?;
    Ok(vec![Named::Id {
        resource_type,
        id: format!("{api}/{stage}"),
    }])
}

/// An ARN in the answer, else an id or name in the answer or the request.
fn at(l: &Located, d: &Value, ty: &'static str) -> Result<Vec<Named>, &'static str> {
    let req = get(d, "requestParameters");
    let resp = get(d, "responseElements");
    let arn = l
        .arn
        .and_then(|p| text(path(resp, p)))
        .map(|arn| Named::Arn {
            resource_type: ty,
            arn,
        });
    let id = || {
        l.ids.iter().find_map(|(side, p)| {
            let v = match side {
                Side::Request => req,
                Side::Response => resp,
            };
            text(path(v, p)).map(|id| Named::Id {
                resource_type: ty,
                id,
            })
        })
    };
    arn.or_else(id).map(|n| vec![n]).ok_or(l.field)
}

/// ELB: v2 (`apiVersion` 2015-12-01) answers the load balancers' ARNs;
/// classic (2012-06-01) only a DNS name, so the ARN is built from the name.
fn load_balancers(d: &Value, ty: &'static str) -> Result<Vec<Named>, &'static str> {
    let resp = get(d, "responseElements");
    let v2: Vec<Named> = items(path(resp, &["loadBalancers"]))
        .into_iter()
        .filter_map(|lb| text(get(lb, "loadBalancerArn")))
        .map(|arn| Named::Arn {
            resource_type: ty,
            arn,
        })
        .collect();
    if !v2.is_empty() {
        return Ok(v2);
    }
    let name = text(path(get(d, "requestParameters"), &["loadBalancerName"]))
        .ok_or("detail.requestParameters.loadBalancerName")?;
    Ok(vec![Named::Id {
        resource_type: ty,
        id: name,
    }])
}

/// EC2 Fleet: the fleet, and for an `instant` fleet the instances it
/// launched (`fleetInstanceSet.item[].instanceIds.item[]`).
fn fleet(resp: Option<&Value>) -> Result<Vec<Named>, &'static str> {
    let id = text(ec2(resp, "CreateFleet", &["fleetId"]))
        .ok_or("detail.responseElements.CreateFleetResponse.fleetId")?;
    let mut out = vec![Named::Id {
        resource_type: "ec2:fleet",
        id,
    }];
    for set in items(ec2(resp, "CreateFleet", &["fleetInstanceSet"])) {
        for instance in items(get(set, "instanceIds")) {
            if let Some(id) = text(Some(instance)) {
                out.push(Named::Id {
                    resource_type: "ec2:instance",
                    id,
                });
            }
        }
    }
    Ok(out)
}

/// The ids under `key` of every element of an EC2 list.
fn ids_at(
    list: Option<&Value>,
    key: &str,
    ty: &'static str,
    field: &'static str,
) -> Result<Vec<Named>, &'static str> {
    let ids: Vec<Named> = items(list)
        .into_iter()
        .filter_map(|i| text(get(i, key)))
        .map(|id| Named::Id {
            resource_type: ty,
            id,
        })
        .collect();
    if ids.is_empty() {
        Err(field)
    } else {
        Ok(ids)
    }
}

/// A member of an EC2 answer, flat or inside its `<Call>Response` wrapper.
fn ec2<'a>(resp: Option<&'a Value>, call: &str, keys: &[&str]) -> Option<&'a Value> {
    path(resp, keys).or_else(|| path(get(resp?, &format!("{call}Response")), keys))
}

/// The elements of a list, however the record spells it: a JSON array,
/// `{"items": [...]}`, or `{"item": X}` (X an object or a list).
pub(super) fn items(v: Option<&Value>) -> Vec<&Value> {
    let Some(v) = v else { return Vec::new() };
    let inner = get(v, "items").or_else(|| get(v, "item"));
    match inner.unwrap_or(v) {
        Value::Array(a) => a.iter().collect(),
        Value::Null => Vec::new(),
        Value::String(s) if s.is_empty() => Vec::new(),
        other if inner.is_some() => vec![other],
        Value::Object(_) => Vec::new(),
        other => vec![other],
    }
}

/// A member by name, whatever the case of its letters.
pub(super) fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    let m = v.as_object()?;
    m.get(key).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

pub(super) fn path<'a>(v: Option<&'a Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().try_fold(v?, |v, k| get(v, k))
}

/// A non-empty string (EC2 sometimes sends ids as numbers). One holding
/// a control character is no id, key or value AWS accepts: none.
pub(super) fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() && !s.chars().any(char::is_control) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
