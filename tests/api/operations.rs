//! Running it in production, as the template says: every function deploys through its alias
//! with a traffic shift that its alarms roll back, every alarm tells someone, every threshold
//! is a parameter with its reason.

use std::collections::BTreeSet;

use invites_local::template;
use serde_yaml::Value;

fn template_text() -> String {
    std::fs::read_to_string(crate::helpers::repo().join("template.yaml")).unwrap()
}

/// The target of `!Ref X`.
fn reference(value: &Value) -> Option<&str> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str(),
        _ => None,
    }
}

/// Every `!Ref` target anywhere inside `value`.
fn references(value: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::Tagged(tagged) => match tagged.value.as_str() {
                Some(target) if tagged.tag == "Ref" => {
                    found.insert(target.to_owned());
                }
                _ => stack.push(&tagged.value),
            },
            Value::Sequence(items) => stack.extend(items),
            Value::Mapping(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    found
}

fn of_type<'a>(resources: &'a serde_yaml::Mapping, kind: &str) -> Vec<(String, &'a Value)> {
    resources
        .iter()
        .filter(|(_, resource)| resource["Type"] == kind)
        .map(|(name, resource)| (name.as_str().unwrap().to_owned(), resource))
        .collect()
}

/// The function an alarm watches (its `FunctionName` dimension), if any.
fn watched_function(alarm: &Value) -> Option<String> {
    alarm["Properties"]["Dimensions"]
        .as_sequence()?
        .iter()
        .find(|d| d["Name"] == "FunctionName")
        .and_then(|d| reference(&d["Value"]))
        .map(str::to_owned)
}

#[test]
fn every_function_deploys_through_its_alias_and_is_rolled_back_by_its_alarms() {
    let text = template_text();
    let document: Value = serde_yaml::from_str(&text).unwrap();
    assert_eq!(
        document["Globals"]["Function"]["AutoPublishAlias"], "live",
        "every function is invoked through its alias"
    );
    assert_eq!(document["Globals"]["Function"]["Tracing"], "Active");
    let resources = template::resources(&text).unwrap();
    let alarms = of_type(&resources, "AWS::CloudWatch::Alarm");
    let functions = of_type(&resources, "AWS::Serverless::Function");
    assert_eq!(functions.len(), 12);
    for (name, function) in &functions {
        let preference = &function["Properties"]["DeploymentPreference"];
        assert_eq!(
            reference(&preference["Type"]),
            Some("DeploymentType"),
            "{name}: the shift is the DeploymentType parameter"
        );
        let rollback = references(&preference["Alarms"]);
        assert!(!rollback.is_empty(), "{name}: no rollback alarm");
        for alarm in &rollback {
            let (_, resource) = alarms
                .iter()
                .find(|(a, _)| a == alarm)
                .unwrap_or_else(|| panic!("{name}: {alarm} is not an alarm"));
            assert_eq!(
                watched_function(resource).as_deref(),
                Some(name.as_str()),
                "{name}: {alarm} watches another function"
            );
        }
        // Its own errors roll it back; its throttles are watched.
        for metric in ["Errors", "Throttles"] {
            let watched = alarms.iter().find(|(_, a)| {
                a["Properties"]["MetricName"] == metric
                    && watched_function(a).as_deref() == Some(name.as_str())
            });
            let (alarm, _) = watched.unwrap_or_else(|| panic!("{name}: no {metric} alarm"));
            if metric == "Errors" {
                assert!(
                    rollback.contains(alarm),
                    "{name}: {alarm} does not roll back"
                );
            }
        }
        let is_http = function["Properties"]["Events"]
            .as_mapping()
            .unwrap()
            .values()
            .any(|event| event["Type"] == "HttpApi");
        if is_http {
            assert!(
                !function["Properties"]["ReservedConcurrentExecutions"].is_null(),
                "{name}: an HTTP function has its concurrency reserved (a parameter)"
            );
        }
    }
    let http_5xx: Vec<_> = functions
        .iter()
        .filter(|(name, _)| name != "NotFoundFunction")
        .filter(|(_, f)| f["Properties"]["Events"]["Api"]["Type"] == "HttpApi")
        .collect();
    assert_eq!(
        http_5xx.len(),
        6,
        "the HTTP functions that answer with metrics"
    );
    for (name, function) in http_5xx {
        let rollback = references(&function["Properties"]["DeploymentPreference"]["Alarms"]);
        assert!(
            rollback.iter().any(|alarm| {
                alarms
                    .iter()
                    .any(|(a, r)| a == alarm && r["Properties"]["MetricName"] == "ServerErrors")
            }),
            "{name}: its 5xx answers do not roll it back"
        );
    }
}

#[test]
fn every_alarm_tells_the_topic_and_its_threshold_is_a_parameter_with_a_reason() {
    let text = template_text();
    let document: Value = serde_yaml::from_str(&text).unwrap();
    let resources = template::resources(&text).unwrap();
    let parameters = document["Parameters"].as_mapping().unwrap();
    let mut seen = BTreeSet::new();
    for (name, alarm) in of_type(&resources, "AWS::CloudWatch::Alarm") {
        let properties = &alarm["Properties"];
        assert!(
            references(&properties["AlarmActions"]).contains("AlarmTopicArn"),
            "{name}: does not notify AlarmTopicArn"
        );
        let description = properties["AlarmDescription"].as_str().unwrap_or_default();
        assert!(
            description.len() > 20,
            "{name}: says nothing of what it means"
        );
        let threshold = reference(&properties["Threshold"])
            .unwrap_or_else(|| panic!("{name}: the threshold is not a parameter"));
        let parameter = &parameters[threshold];
        assert!(
            !parameter["Default"].is_null(),
            "{name}: {threshold} has no default"
        );
        let reason = parameter["Description"].as_str().unwrap_or_default();
        assert!(reason.len() > 40, "{threshold}: no reason given");
        seen.insert(name);
    }
    for expected in [
        "Api5xxRateAlarm",
        "ApiLatencyP99Alarm",
        "TableThrottlesAlarm",
        "TableSystemErrorsAlarm",
        "EmailFailuresAlarm",
        "SesBounceRateAlarm",
        "SesComplaintRateAlarm",
        "DirectoryDeadLetterAlarm",
        "PublishEventsDeadLetterAlarm",
        "RetireInvitesDeadLetterAlarm",
    ] {
        assert!(seen.contains(expected), "no {expected}");
    }
    // Invitations go through the configuration set whose events feed the SES metrics.
    let create = &resources["CreateInviteFunction"]["Properties"];
    assert_eq!(
        reference(&create["Environment"]["Variables"]["SES_CONFIGURATION_SET"]),
        Some("InvitesConfigurationSet")
    );
    assert_eq!(
        resources["Dashboard"]["Type"], "AWS::CloudWatch::Dashboard",
        "one page with all of it"
    );
}

/// With active tracing, Lambda runs the X-Ray daemon beside the function: each SDK call of an
/// invocation arrives there as a subsegment of the invocation's trace (the real binary over the
/// Runtime API, which hands it a sampled trace header; a UDP socket playing the daemon).
#[tokio::test]
async fn a_traced_invocation_sends_each_sdk_call_to_the_daemon_as_a_subsegment() {
    use crate::helpers::*;
    use invites_bench::runtime_api::FunctionProcess;
    use invites_local::events::ApiEvent;

    let app = TestApp::spawn().await;
    let admin = app.tenant_admin().await;
    let daemon = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut env = binary_env();
    env.insert(
        "AWS_XRAY_DAEMON_ADDRESS".into(),
        daemon.local_addr().unwrap().to_string(),
    );
    let binary = crate::events::function_binary("list-invites");
    let mut process = FunctionProcess::start(&binary, &env, None).await.unwrap();
    let event = ApiEvent::new("GET", "/v1/invites", "/v1/invites").bearer(&admin.token);
    process.invoke(event.to_json()).await.unwrap();
    process.stop().await;

    let mut subsegments = Vec::new();
    let mut buffer = vec![0u8; 65_536];
    while let Ok(Ok(size)) = tokio::time::timeout(
        std::time::Duration::from_millis(500),
        daemon.recv(&mut buffer),
    )
    .await
    {
        let text = std::str::from_utf8(&buffer[..size]).unwrap();
        let (header, document) = text.split_once('\n').unwrap();
        assert_eq!(header, r#"{"format": "json", "version": 1}"#);
        subsegments.push(serde_json::from_str::<serde_json::Value>(document).unwrap());
    }
    assert!(!subsegments.is_empty(), "no subsegment reached the daemon");
    for subsegment in &subsegments {
        assert_eq!(subsegment["type"], "subsegment");
        assert_eq!(
            subsegment["trace_id"],
            "1-00000000-000000000000000000000000"
        );
        assert_eq!(subsegment["parent_id"], "0000000000000001");
        assert_eq!(subsegment["name"], "DynamoDB", "{subsegment}");
        assert!(
            subsegment["end_time"].as_f64().unwrap() >= subsegment["start_time"].as_f64().unwrap()
        );
        assert_eq!(subsegment["http"]["response"]["status"], 200);
    }
    let operations: Vec<&str> = subsegments
        .iter()
        .map(|s| s["aws"]["operation"].as_str().unwrap())
        .collect();
    assert!(operations.contains(&"BatchGetItem"), "{operations:?}");
}
