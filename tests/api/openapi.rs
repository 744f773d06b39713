//! The OpenAPI file is what clients and fuzzers are generated from, so it is checked like code:
//! it must parse strictly (a duplicated schema name silently replaces the first one), carry no
//! accidental nulls (an unquoted `description: a, b` in a flow mapping turns `b` into a key),
//! resolve every `$ref`, document the 400 and 415 a malformed or mistyped body gets, bound every
//! string and integer a request body carries (the server validates each; a fuzzer reading the
//! file should know how), and cover every route the application serves.

use serde_yaml::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn openapi() -> Value {
    let text = std::fs::read_to_string(root().join("openapi.yaml")).expect("read openapi.yaml");
    // serde_yaml refuses duplicate mapping keys, which plain YAML loaders let the last one win.
    serde_yaml::from_str(&text).expect("openapi.yaml parses without duplicate keys")
}

fn walk<'a>(v: &'a Value, at: String, visit: &mut dyn FnMut(&str, &'a Value)) {
    visit(&at, v);
    match v {
        Value::Mapping(m) => {
            for (k, child) in m {
                let key = k.as_str().map(str::to_string).unwrap_or_else(|| format!("{k:?}"));
                walk(child, format!("{at}/{key}"), visit);
            }
        }
        Value::Sequence(s) => {
            for (i, child) in s.iter().enumerate() {
                walk(child, format!("{at}[{i}]"), visit);
            }
        }
        _ => {}
    }
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

#[test]
fn the_file_has_no_stray_nulls_and_every_ref_resolves() {
    let doc = openapi();
    assert_eq!(doc["openapi"].as_str().map(|v| v.starts_with("3.0")), Some(true));
    let schemas = doc["components"]["schemas"].as_mapping().expect("components.schemas");
    let mut problems = Vec::new();
    walk(&doc, String::new(), &mut |at, v| {
        if v.is_null() {
            problems.push(format!("{at}: null (an unquoted comma or colon?)"));
        }
        if let Some(r) = v.get("$ref").and_then(Value::as_str) {
            let resolves = match r.strip_prefix("#/components/") {
                Some(rest) => {
                    let mut parts = rest.splitn(2, '/');
                    let (kind, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                    doc["components"][kind].get(name).is_some()
                }
                None => false,
            };
            if !resolves {
                problems.push(format!("{at}: $ref {r} does not resolve"));
            }
        }
    });
    assert!(schemas.len() > 50, "the schemas are all there");
    assert!(problems.is_empty(), "openapi.yaml:\n{}", problems.join("\n"));
}

#[test]
fn every_operation_is_named_once_and_documents_its_errors() {
    let doc = openapi();
    let mut ids = BTreeSet::new();
    let mut problems = Vec::new();
    for (path, item) in doc["paths"].as_mapping().expect("paths") {
        let path = path.as_str().unwrap();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let name = format!("{} {path}", method.to_uppercase());
            match op["operationId"].as_str() {
                Some(id) if !ids.insert(id.to_string()) => problems.push(format!("{name}: operationId {id} twice")),
                None => problems.push(format!("{name}: no operationId")),
                _ => {}
            }
            let responses = op["responses"].as_mapping().expect("responses");
            let has = |code: &str| responses.contains_key(Value::String(code.into()));
            // A body that is not JSON gets 400 from every component (the one error shape).
            if op.get("requestBody").is_some() && !has("400") {
                problems.push(format!("{name}: takes a body but does not document 400"));
            }
            // A body sent as anything but application/json gets 415 before it is read.
            if op.get("requestBody").is_some() && !has("415") {
                problems.push(format!("{name}: takes a body but does not document 415"));
            }
            if !responses.keys().any(|k| k.as_str().is_some_and(|c| c.starts_with('2') || c.starts_with('3'))) {
                problems.push(format!("{name}: no success response"));
            }
        }
    }
    assert!(ids.len() > 100, "all operations counted: {}", ids.len());
    assert!(problems.is_empty(), "openapi.yaml:\n{}", problems.join("\n"));
}

#[test]
fn every_api_route_in_the_manifest_has_documented_paths() {
    let doc = openapi();
    let paths: Vec<String> =
        doc["paths"].as_mapping().unwrap().keys().map(|k| k.as_str().unwrap().to_string()).collect();
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(root().join("spin.toml")).expect("read spin.toml")).expect("spin.toml");
    let mut missing = Vec::new();
    for trigger in manifest["trigger"]["http"].as_array().expect("http triggers") {
        let Some(route) = trigger["route"].as_str() else { continue }; // private routes
        if !route.starts_with("/api/") {
            continue;
        }
        // `/api/v1/teams/...` → paths under `/api/v1/teams`; `:id` segments → `{...}`.
        let prefix = route.trim_end_matches("/...");
        let segments: Vec<&str> = prefix.split('/').collect();
        let covered = paths.iter().any(|p| {
            let ps: Vec<&str> = p.split('/').collect();
            ps.len() >= segments.len()
                && segments.iter().zip(&ps).all(|(r, s)| r == s || (r.starts_with(':') && s.starts_with('{')))
                && (route.ends_with("/...") || ps.len() == segments.len())
        });
        if !covered {
            missing.push(route.to_string());
        }
    }
    assert!(missing.is_empty(), "routes served but not in openapi.yaml: {missing:?}");
}

/// `v` with its `$ref` followed into `components` (schemas, responses, parameters).
fn resolved<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/")) {
        Some(rest) => {
            let (kind, name) = rest.split_once('/').unwrap_or((rest, ""));
            resolved(doc, &doc["components"][kind][name])
        }
        None => v,
    }
}

/// A schema's property names, through `$ref` and `allOf`.
fn property_names(doc: &Value, schema: &Value, into: &mut BTreeSet<String>) {
    let schema = resolved(doc, schema);
    if let Some(props) = schema.get("properties").and_then(Value::as_mapping) {
        into.extend(props.keys().filter_map(Value::as_str).map(str::to_string));
    }
    for part in schema.get("allOf").and_then(Value::as_sequence).into_iter().flatten() {
        property_names(doc, part, into);
    }
}

/// Links (OpenAPI link objects) let a fuzzer or a client go from a created resource to what can
/// be done with it, so generated sequences reach deep states (an approved activity's sign-ups, a
/// dispatched order's acceptance). A link that names a missing operation, a parameter the target
/// does not have or a field the response does not carry would silently lead nowhere: each is
/// checked here.
#[test]
fn every_link_names_a_real_operation_its_path_parameters_and_a_response_field() {
    let doc = openapi();
    // operationId → the path parameter names of that operation.
    let mut targets = std::collections::BTreeMap::new();
    for (_, item) in doc["paths"].as_mapping().expect("paths") {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let mut names = BTreeSet::new();
            let shared = item.get("parameters").and_then(Value::as_sequence).into_iter().flatten();
            let own = op.get("parameters").and_then(Value::as_sequence).into_iter().flatten();
            for p in shared.chain(own) {
                let p = resolved(&doc, p);
                if p["in"].as_str() == Some("path") {
                    names.insert(p["name"].as_str().unwrap().to_string());
                }
            }
            targets.insert(op["operationId"].as_str().unwrap().to_string(), names);
        }
    }
    let mut problems = Vec::new();
    let mut links = 0;
    for (path, item) in doc["paths"].as_mapping().expect("paths") {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let source = format!("{} {}", method.to_uppercase(), path.as_str().unwrap());
            for (status, response) in op["responses"].as_mapping().into_iter().flatten() {
                let response = resolved(&doc, response);
                let Some(map) = response.get("links").and_then(Value::as_mapping) else { continue };
                let mut fields = BTreeSet::new();
                if let Some(schema) =
                    response.get("content").and_then(|c| c.get("application/json")).map(|c| &c["schema"])
                {
                    property_names(&doc, schema, &mut fields);
                }
                for (name, link) in map {
                    links += 1;
                    let at = format!("{source} {status:?} link {:?}", name.as_str().unwrap_or(""));
                    let target = link["operationId"].as_str().unwrap_or("");
                    let Some(params) = targets.get(target) else {
                        problems.push(format!("{at}: no operation {target}"));
                        continue;
                    };
                    let given: BTreeSet<String> = link["parameters"]
                        .as_mapping()
                        .into_iter()
                        .flatten()
                        .filter_map(|(k, _)| k.as_str().map(str::to_string))
                        .collect();
                    if &given != params {
                        problems.push(format!("{at}: parameters {given:?}, {target} has {params:?}"));
                    }
                    for (_, expression) in link["parameters"].as_mapping().into_iter().flatten() {
                        let expression = expression.as_str().unwrap_or("");
                        match expression.strip_prefix("$response.body#/") {
                            Some(field) if fields.contains(field) => {}
                            _ => problems.push(format!("{at}: {expression} is not a field of the response")),
                        }
                    }
                }
            }
        }
    }
    assert!(links > 50, "the creating operations link onward ({links} links)");
    assert!(problems.is_empty(), "openapi.yaml links:\n{}", problems.join("\n"));
}

/// The facet `key` of schema `v`, looked up through `$ref`s and `allOf`.
fn facet<'a>(doc: &'a Value, v: &'a Value, key: &str) -> Option<&'a Value> {
    let v = resolved(doc, v);
    v.get(key).or_else(|| v.get("allOf")?.as_sequence()?.iter().find_map(|part| facet(doc, part, key)))
}

/// Every unbounded string or integer property of the request-body schema `v`, under `at`.
fn unbounded(doc: &Value, v: &Value, at: &str, problems: &mut Vec<String>) {
    for alternatives in ["oneOf", "anyOf"] {
        for alt in facet(doc, v, alternatives).and_then(Value::as_sequence).into_iter().flatten() {
            unbounded(doc, alt, at, problems);
        }
    }
    let Some(properties) = facet(doc, v, "properties").and_then(Value::as_mapping) else { return };
    for (name, property) in properties {
        let at = format!("{at}.{}", name.as_str().unwrap_or_default());
        let has = |keys: &[&str]| keys.iter().any(|k| facet(doc, property, k).is_some());
        match facet(doc, property, "type").and_then(Value::as_str) {
            Some("string") if !has(&["maxLength", "enum", "pattern", "format"]) => {
                problems.push(format!("{at}: a string with no maxLength, enum, pattern or format"))
            }
            Some("integer") if !has(&["minimum", "maximum", "enum"]) => {
                problems.push(format!("{at}: an integer with no range"))
            }
            Some("object") => unbounded(doc, property, &at, problems),
            Some("array") => {
                let items = facet(doc, property, "items").unwrap_or(&Value::Null);
                let item_type = facet(doc, items, "type").and_then(Value::as_str);
                let bounded = ["maxLength", "enum", "pattern", "format"].iter().any(|k| facet(doc, items, k).is_some());
                if item_type == Some("string") && !bounded {
                    problems.push(format!("{at}[]: a string with no maxLength, enum, pattern or format"));
                }
                if item_type == Some("object") {
                    unbounded(doc, items, &format!("{at}[]"), problems);
                }
            }
            _ => {}
        }
    }
}

#[test]
fn every_string_and_integer_a_request_body_carries_is_bounded() {
    let doc = openapi();
    let mut problems = Vec::new();
    let mut bodies = 0;
    for (path, item) in doc["paths"].as_mapping().expect("paths") {
        for method in METHODS {
            let Some(schema) = item.get(method).and_then(|op| op.get("requestBody")).map(|b| {
                let b = resolved(&doc, b);
                &b["content"]["application/json"]["schema"]
            }) else {
                continue;
            };
            bodies += 1;
            unbounded(
                &doc,
                schema,
                &format!("{} {}", method.to_uppercase(), path.as_str().unwrap_or_default()),
                &mut problems,
            );
        }
    }
    assert!(bodies > 50, "all request bodies counted: {bodies}");
    assert!(problems.is_empty(), "openapi.yaml:\n{}", problems.join("\n"));
}
