//! CloudWatch Embedded Metric Format: one JSON line on stdout per invocation, from which
//! CloudWatch Logs extracts the metrics. No API call and no background task: the request pays
//! one write to stdout. Namespace `InvitesApi`, dimension `FunctionName` (the deployed
//! function's name, unique per stack); rejections also by `Reason`.
//!
//! A small module rather than AWS's `metrique`: that crate needs a newer Rust than this
//! workspace's 1.85 and brings a writer pipeline built for many metrics per request; one line
//! of a handful of numbers is all a function here emits.

use serde_json::{json, Map, Value};

pub const NAMESPACE: &str = "InvitesApi";

/// The unit of a metric, as CloudWatch names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// The name the metrics are filed under: the deployed function's (Lambda sets it), else
/// `default` (the binary's name, locally).
pub fn function_name(default: &str) -> String {
    std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| default.to_owned())
}

/// One invocation's metrics line.
#[derive(Debug, Clone)]
pub struct MetricLine {
    function: String,
    metrics: Vec<(String, Unit, f64)>,
    rejected: Option<&'static str>,
    properties: Map<String, Value>,
}

impl MetricLine {
    pub fn new(function: impl Into<String>) -> Self {
        Self {
            function: function.into(),
            metrics: Vec::new(),
            rejected: None,
            properties: Map::new(),
        }
    }

    /// Adds `value` to the metric `name` (created at zero).
    pub fn add(mut self, name: &str, unit: Unit, value: f64) -> Self {
        match self.metrics.iter_mut().find(|(n, _, _)| n == name) {
            Some((_, _, total)) => *total += value,
            None => self.metrics.push((name.to_owned(), unit, value)),
        }
        self
    }

    /// The request was refused (a 4xx) for `reason`: `Rejected` by `FunctionName` and `Reason`.
    pub fn rejected(mut self, reason: &'static str) -> Self {
        self.rejected = Some(reason);
        self
    }

    /// A field of the line that is not a metric (searchable in Logs Insights).
    pub fn property(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.properties.insert(name.to_owned(), value.into());
        self
    }

    /// The line, stamped `timestamp_ms` (Unix milliseconds).
    pub fn to_json(&self, timestamp_ms: i64) -> Value {
        let definitions: Vec<Value> = self
            .metrics
            .iter()
            .map(|(name, unit, _)| json!({ "Name": name, "Unit": unit.as_str() }))
            .collect();
        let mut directives = vec![
            json!({ "Namespace": NAMESPACE, "Dimensions": [["FunctionName"]], "Metrics": definitions }),
        ];
        let mut root = self.properties.clone();
        if let Some(reason) = self.rejected {
            directives.push(json!({
                "Namespace": NAMESPACE,
                "Dimensions": [["FunctionName", "Reason"]],
                "Metrics": [{ "Name": "Rejected", "Unit": "Count" }],
            }));
            root.insert("Reason".into(), json!(reason));
            root.insert("Rejected".into(), json!(1));
        }
        for (name, _, value) in &self.metrics {
            root.insert(name.clone(), json!(value));
        }
        root.insert("FunctionName".into(), json!(self.function));
        root.insert(
            "_aws".into(),
            json!({ "Timestamp": timestamp_ms, "CloudWatchMetrics": directives }),
        );
        Value::Object(root)
    }

    /// Writes the line to stdout (CloudWatch Logs in Lambda).
    pub fn emit(&self) {
        let now = chrono::Utc::now().timestamp_millis();
        println!("{}", self.to_json(now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_declares_each_metric_and_carries_its_value() {
        let line = MetricLine::new("create-invite")
            .add("InvitesCreated", Unit::Count, 1.0)
            .add("ReadCapacityUnits", Unit::Count, 1.5)
            .add("ReadCapacityUnits", Unit::Count, 0.5)
            .rejected("invite_expired")
            .property("request_id", "r1")
            .to_json(1_700_000_000_000);
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000i64);
        let directives = line["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives[0]["Namespace"], NAMESPACE);
        assert_eq!(directives[0]["Dimensions"], json!([["FunctionName"]]));
        assert_eq!(
            directives[0]["Metrics"],
            json!([{ "Name": "InvitesCreated", "Unit": "Count" }, { "Name": "ReadCapacityUnits", "Unit": "Count" }])
        );
        assert_eq!(line["ReadCapacityUnits"], 2.0);
        assert_eq!(
            directives[1]["Dimensions"],
            json!([["FunctionName", "Reason"]])
        );
        assert_eq!(line["Reason"], "invite_expired");
        assert_eq!(line["Rejected"], 1);
        assert_eq!(line["FunctionName"], "create-invite");
        assert_eq!(line["request_id"], "r1");
    }
}
