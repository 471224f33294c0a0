//! Label selectors (`-l`, apimachinery's labels.Parse) and field selectors
//! (`--field-selector`, the fields each kind's REST strategy supports).

use crate::engine::api::*;

#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Eq,
    NotEq,
    In,
    NotIn,
    Exists,
    DoesNotExist,
    Gt,
    Lt,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Requirement {
    pub key: String,
    pub op: Op,
    pub values: Vec<String>,
}

/// A parsed label selector; empty matches everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LabelSel {
    pub reqs: Vec<Requirement>,
}

impl LabelSel {
    /// labels.Nothing(): what a nil LabelSelector selects.
    pub fn nothing() -> LabelSel {
        LabelSel { reqs: vec![Requirement { key: String::new(), op: Op::In, values: vec![] }] }
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.reqs.iter().all(|r| {
            let v = labels.get(&r.key);
            match r.op {
                Op::Eq | Op::In => v.is_some_and(|v| r.values.contains(v)),
                Op::NotEq | Op::NotIn => v.is_none_or(|v| !r.values.contains(v)),
                Op::Exists => v.is_some(),
                Op::DoesNotExist => v.is_none(),
                Op::Gt | Op::Lt => {
                    let (Some(v), Some(want)) = (v.and_then(|v| v.parse::<i64>().ok()), r.values.first().and_then(|w| w.parse::<i64>().ok())) else {
                        return false;
                    };
                    if r.op == Op::Gt { v > want } else { v < want }
                }
            }
        })
    }

    /// A LabelSelector (from a workload spec) as a selector.
    pub fn from_label_selector(s: &LabelSelector) -> LabelSel {
        let mut reqs: Vec<Requirement> = s.match_labels.iter().map(|(k, v)| Requirement { key: k.clone(), op: Op::Eq, values: vec![v.clone()] }).collect();
        for e in &s.match_expressions {
            let op = match e.operator.as_str() {
                "In" => Op::In,
                "NotIn" => Op::NotIn,
                "Exists" => Op::Exists,
                _ => Op::DoesNotExist,
            };
            reqs.push(Requirement { key: e.key.clone(), op, values: e.values.clone() });
        }
        LabelSel { reqs }
    }
}

#[derive(Debug, PartialEq, Clone)]
enum Tok {
    Ident(String),
    Comma,
    Open,
    Close,
    Eq,
    DoubleEq,
    NotEq,
    Not,
    In,
    NotIn,
    Gt,
    Lt,
    End,
}

fn tok_text(t: &Tok) -> String {
    match t {
        Tok::Ident(s) => s.clone(),
        Tok::Comma => ",".into(),
        Tok::Open => "(".into(),
        Tok::Close => ")".into(),
        Tok::Eq => "=".into(),
        Tok::DoubleEq => "==".into(),
        Tok::NotEq => "!=".into(),
        Tok::Not => "!".into(),
        Tok::In => "in".into(),
        Tok::NotIn => "notin".into(),
        Tok::Gt => ">".into(),
        Tok::Lt => "<".into(),
        Tok::End => String::new(),
    }
}

fn lex(s: &str) -> Vec<Tok> {
    let c: Vec<char> = s.chars().collect();
    let mut out = vec![];
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            ' ' | '\t' => i += 1,
            ',' => {
                out.push(Tok::Comma);
                i += 1
            }
            '(' => {
                out.push(Tok::Open);
                i += 1
            }
            ')' => {
                out.push(Tok::Close);
                i += 1
            }
            '=' if c.get(i + 1) == Some(&'=') => {
                out.push(Tok::DoubleEq);
                i += 2
            }
            '=' => {
                out.push(Tok::Eq);
                i += 1
            }
            '!' if c.get(i + 1) == Some(&'=') => {
                out.push(Tok::NotEq);
                i += 2
            }
            '!' => {
                out.push(Tok::Not);
                i += 1
            }
            '>' => {
                out.push(Tok::Gt);
                i += 1
            }
            '<' => {
                out.push(Tok::Lt);
                i += 1
            }
            _ => {
                let start = i;
                while i < c.len() && !matches!(c[i], ' ' | '\t' | ',' | '(' | ')' | '=' | '!' | '>' | '<') {
                    i += 1;
                }
                let w: String = c[start..i].iter().collect();
                out.push(match w.as_str() {
                    "in" => Tok::In,
                    "notin" => Tok::NotIn,
                    _ => Tok::Ident(w),
                });
            }
        }
    }
    out.push(Tok::End);
    out
}

/// labels.Parse, with its error texts.
pub fn parse_label_selector(s: &str) -> Result<LabelSel, String> {
    let toks = lex(s);
    let mut i = 0;
    let mut reqs = vec![];
    if toks[0] == Tok::End {
        return Ok(LabelSel::default());
    }
    loop {
        // one requirement
        let mut op = None;
        if toks[i] == Tok::Not {
            op = Some(Op::DoesNotExist);
            i += 1;
        }
        let key = match &toks[i] {
            Tok::Ident(k) => k.clone(),
            t => return Err(format!("unable to parse requirement: found '{}', expected: identifier", tok_text(t))),
        };
        validate_key(&key)?;
        i += 1;
        if op.is_some() {
            reqs.push(Requirement { key, op: Op::DoesNotExist, values: vec![] });
        } else {
            match &toks[i] {
                Tok::Comma | Tok::End => reqs.push(Requirement { key, op: Op::Exists, values: vec![] }),
                Tok::Eq | Tok::DoubleEq | Tok::NotEq | Tok::Gt | Tok::Lt => {
                    let o = match toks[i] {
                        Tok::Eq | Tok::DoubleEq => Op::Eq,
                        Tok::NotEq => Op::NotEq,
                        Tok::Gt => Op::Gt,
                        _ => Op::Lt,
                    };
                    i += 1;
                    let v = match &toks[i] {
                        Tok::Ident(v) => {
                            i += 1;
                            v.clone()
                        }
                        Tok::Comma | Tok::End => String::new(),
                        t => return Err(format!("unable to parse requirement: found '{}', expected: identifier", tok_text(t))),
                    };
                    validate_value(&v)?;
                    reqs.push(Requirement { key, op: o, values: vec![v] });
                }
                Tok::In | Tok::NotIn => {
                    let o = if toks[i] == Tok::In { Op::In } else { Op::NotIn };
                    i += 1;
                    if toks[i] != Tok::Open {
                        return Err(format!("unable to parse requirement: found '{}' expected: '('", tok_text(&toks[i])));
                    }
                    i += 1;
                    let mut vals = vec![];
                    loop {
                        match &toks[i] {
                            Tok::Ident(v) => {
                                validate_value(v)?;
                                vals.push(v.clone());
                                i += 1;
                            }
                            Tok::Close => {
                                i += 1;
                                break;
                            }
                            Tok::Comma => {
                                vals.push(String::new());
                            }
                            t => return Err(format!("unable to parse requirement: found '{}', expected: ',', ')' or identifier", tok_text(t))),
                        }
                        match &toks[i] {
                            Tok::Comma => i += 1,
                            Tok::Close => {
                                i += 1;
                                break;
                            }
                            t => return Err(format!("unable to parse requirement: found '{}', expected: ',' or ')'", tok_text(t))),
                        }
                    }
                    reqs.push(Requirement { key, op: o, values: vals });
                }
                t => return Err(format!("unable to parse requirement: found '{}', expected: in, notin, =, ==, !=, gt, lt", tok_text(t))),
            }
        }
        match &toks[i] {
            Tok::End => break,
            Tok::Comma => {
                i += 1;
                if toks[i] == Tok::End {
                    return Err("found '', expected: identifier after ','".into());
                }
            }
            t => return Err(format!("found '{}', expected: ',' or 'end of string'", tok_text(t))),
        }
    }
    Ok(LabelSel { reqs })
}

fn validate_key(k: &str) -> Result<(), String> {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().last().is_some_and(|c| c.is_ascii_alphanumeric());
    let prefix_ok = prefix.is_none_or(crate::engine::apiserver::validation::is_dns1123_subdomain);
    if name_ok && prefix_ok {
        Ok(())
    } else {
        Err(format!(
            "unable to parse requirement: <nil>: Invalid value: {k:?}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        ))
    }
}

fn validate_value(v: &str) -> Result<(), String> {
    let ok = v.is_empty()
        || (v.len() <= 63
            && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && v.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && v.chars().last().is_some_and(|c| c.is_ascii_alphanumeric()));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "unable to parse requirement: <nil>: Invalid value: {v:?}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        ))
    }
}

// ---------------------------------------------------------------- fields

#[derive(Clone, Debug, PartialEq)]
pub struct FieldReq {
    pub field: String,
    pub value: String,
    pub equal: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct FieldSel {
    pub reqs: Vec<FieldReq>,
}

/// fields.ParseSelector.
pub fn parse_field_selector(s: &str) -> Result<FieldSel, String> {
    let mut reqs = vec![];
    if s.trim().is_empty() {
        return Ok(FieldSel::default());
    }
    for term in s.split(',') {
        let (field, value, equal) = if let Some((f, v)) = term.split_once("!=") {
            (f, v, false)
        } else if let Some((f, v)) = term.split_once("==") {
            (f, v, true)
        } else if let Some((f, v)) = term.split_once('=') {
            (f, v, true)
        } else {
            return Err(format!("invalid selector: '{s}'; can't understand '{term}'"));
        };
        reqs.push(FieldReq { field: field.trim().to_string(), value: value.trim().to_string(), equal });
    }
    Ok(FieldSel { reqs })
}

/// The value of a selectable field of an object, or None when the kind
/// does not support that field (the API server's field label conversion).
pub fn field_value(obj: &Object, field: &str) -> Option<String> {
    let m = obj.meta();
    match field {
        "metadata.name" => return Some(m.name.clone()),
        "metadata.namespace" => return Some(m.namespace.clone()),
        _ => {}
    }
    match obj {
        Object::Pod(p) => Some(match field {
            "spec.nodeName" => p.spec.node_name.clone(),
            "spec.restartPolicy" => p.spec.restart_policy.clone(),
            "spec.schedulerName" => p.spec.scheduler_name.clone(),
            "spec.serviceAccountName" => p.spec.service_account_name.clone(),
            "spec.hostNetwork" => p.spec.host_network.to_string(),
            "status.phase" => p.status.phase.to_string(),
            "status.podIP" => p.status.pod_ip.clone(),
            "status.nominatedNodeName" => p.status.nominated_node_name.clone(),
            _ => return None,
        }),
        Object::Node(n) => match field {
            "spec.unschedulable" => Some(n.spec.unschedulable.to_string()),
            _ => None,
        },
        Object::Namespace(n) => match field {
            "status.phase" => Some(n.status.phase.to_string()),
            _ => None,
        },
        Object::Secret(s) => match field {
            "type" => Some(s.type_.clone()),
            _ => None,
        },
        Object::Event(e) => Some(match field {
            "involvedObject.kind" => e.involved_object.kind.clone(),
            "involvedObject.namespace" => e.involved_object.namespace.clone(),
            "involvedObject.name" => e.involved_object.name.clone(),
            "involvedObject.uid" => e.involved_object.uid.clone(),
            "involvedObject.apiVersion" => e.involved_object.api_version.clone(),
            "involvedObject.resourceVersion" => e.involved_object.resource_version.clone(),
            "involvedObject.fieldPath" => e.involved_object.field_path.clone(),
            "reason" => e.reason.clone(),
            "reportingComponent" => e.reporting_component.clone(),
            "source" => e.source.component.clone(),
            "type" => e.type_.clone(),
            _ => return None,
        }),
        Object::ReplicaSet(r) => match field {
            "status.replicas" => Some(r.status.replicas.to_string()),
            _ => None,
        },
        _ => None,
    }
}

impl FieldSel {
    /// Checks the fields are supported by the kind (the API server rejects
    /// unknown field labels with BadRequest).
    pub fn check(&self, sample: &Object) -> Result<(), String> {
        for r in &self.reqs {
            if field_value(sample, &r.field).is_none() {
                return Err(format!("field label not supported: {}", r.field));
            }
        }
        Ok(())
    }
    pub fn matches(&self, obj: &Object) -> bool {
        self.reqs.iter().all(|r| field_value(obj, &r.field).is_some_and(|v| (v == r.value) == r.equal))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn label_selectors() {
        let l = labels(&[("app", "web"), ("tier", "front"), ("n", "5")]);
        for (s, want) in [
            ("", true),
            ("app=web", true),
            ("app==web", true),
            ("app!=web", false),
            ("app=db", false),
            ("app in (web, db)", true),
            ("app notin (web)", false),
            ("tier", true),
            ("!tier", false),
            ("!missing", true),
            ("app=web,tier=front", true),
            ("app=web,tier=back", false),
            ("n>3", true),
            ("n<3", false),
            ("missing!=x", true),
        ] {
            assert_eq!(parse_label_selector(s).unwrap().matches(&l), want, "{s}");
        }
        assert!(parse_label_selector("app in").is_err());
        assert!(parse_label_selector("app=web,").is_err());
        assert!(parse_label_selector("=x").is_err());
        assert!(parse_label_selector("app=we b").is_err());
    }

    #[test]
    fn field_selectors() {
        let mut p = Pod::default();
        p.metadata.name = "web-0".into();
        p.status.phase = PodPhase::Running;
        p.spec.node_name = "node-a".into();
        let o = Object::Pod(p);
        let s = parse_field_selector("status.phase=Running,spec.nodeName!=node-b").unwrap();
        assert!(s.check(&o).is_ok());
        assert!(s.matches(&o));
        assert!(!parse_field_selector("metadata.name==web-1").unwrap().matches(&o));
        assert_eq!(parse_field_selector("foo=bar").unwrap().check(&o), Err("field label not supported: foo".into()));
        assert!(parse_field_selector("nonsense").is_err());
    }
}
