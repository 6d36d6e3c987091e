//! End-to-end tests of the network probes against real servers on 127.0.0.1 (ephemeral
//! ports), TLS with certificates generated at test time.

use std::time::{Duration, Instant};

use readyctl::outcome::{ProbeOutcome, Status};
use readyctl::probe::{ArtifactContent, dns, http, load, openapi, run_spec, tcp};
use serde_json::Value;

use crate::support_net::{
    Harness, TestPki, TestServer, banner_listener, closed_port, silent_listener,
};

fn http_spec(yaml: &str) -> http::Spec {
    serde_yaml::from_str(yaml).unwrap_or_else(|e| panic!("spec: {e}\n{yaml}"))
}

fn run_http(yaml: &str) -> ProbeOutcome {
    let h = Harness::new();
    run_spec::<http::Kind>(&http_spec(yaml), &h.ctx(Duration::from_secs(30)))
}

fn artifact(o: &ProbeOutcome, name: &str) -> Value {
    let a =
        o.artifacts.iter().find(|a| a.name == name).unwrap_or_else(|| panic!("no {name}: {o:?}"));
    match &a.content {
        ArtifactContent::Bytes(b) => serde_json::from_slice(b).unwrap(),
        other => panic!("unexpected artifact content {other:?}"),
    }
}

fn measurement(o: &ProbeOutcome, name: &str) -> f64 {
    o.measurements
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no measurement {name}: {:?}", o.measurements))
        .value
}

fn assert_status(o: &ProbeOutcome, status: Status, needle: &str) {
    assert_eq!(o.status, status, "{o:#?}");
    assert!(o.reason.contains(needle), "reason {:?} lacks {needle:?}", o.reason);
}

#[test]
fn http_json_header_and_body_expectations_pass() {
    let s = TestServer::http();
    let o = run_http(&format!(
        r#"
url: {}
expect:
  status: 200
  headers: {{ content-type: {{ regex: "^application/json" }} }}
  body: {{ contains: [readyctl], not_contains: [error] }}
  json:
    /status: ok
    /count: {{ type: integer, min: 1, max: 5 }}
    /items: {{ type: array }}
    /name: {{ regex: "^ready" }}
    /missing: {{ exists: false }}
"#,
        s.url("/json")
    ));
    assert_status(&o, Status::Pass, "→ 200");
    let ex = artifact(&o, "exchange.json");
    assert_eq!(ex["response"]["status"], 200);
    assert_eq!(ex["request"]["method"], "GET");
    assert!(ex["response"]["body"]["text"].as_str().unwrap().contains("readyctl"));
}

#[test]
fn http_every_failed_expectation_is_named() {
    let s = TestServer::http();
    let o = run_http(&format!(
        "url: {}\nexpect:\n  status: 2xx\n  json: {{ /status: down, /count: {{ max: 2 }} }}\n  headers: {{ x-nope: {{ equals: a }} }}\n",
        s.url("/json")
    ));
    assert_status(&o, Status::Fail, "JSON `/count` is 3 (max 2)");
    assert!(
        o.reason.contains("\"down\"") && o.reason.contains("`x-nope` is missing"),
        "{}",
        o.reason
    );
}

#[test]
fn http_status_lists_and_ranges() {
    let s = TestServer::http();
    let url = s.url("/status/404");
    assert_status(
        &run_http(&format!("url: {url}\nexpect: {{ status: [404, 5xx] }}\n")),
        Status::Pass,
        "404",
    );
    assert_status(
        &run_http(&format!("url: {url}\nexpect: {{ status: \"200-299\" }}\n")),
        Status::Fail,
        "status 404 (expected 2xx)",
    );
    // Without `status:`, 4xx is a failure.
    assert_status(&run_http(&format!("url: {url}\n")), Status::Fail, "expected 200-399");
}

#[test]
fn http_redirects_followed_refused_and_capped() {
    let s = TestServer::http();
    let o = run_http(&format!(
        "url: {}\nexpect: {{ body: {{ contains: [landed] }} }}\n",
        s.url("/redirect/3")
    ));
    assert_status(&o, Status::Pass, "200");
    assert!(
        artifact(&o, "exchange.json")["response"]["url"].as_str().unwrap().ends_with("/redirect/0")
    );
    let o = run_http(&format!(
        "url: {}\nredirects: {{ follow: false }}\nexpect: {{ status: 302, headers: {{ location: {{ equals: /redirect/2 }} }} }}\n",
        s.url("/redirect/3")
    ));
    assert_status(&o, Status::Pass, "302");
    let o = run_http(&format!("url: {}\nredirects: {{ max: 2 }}\n", s.url("/redirect/3")));
    assert_status(&o, Status::Fail, "too many redirects");
}

#[test]
fn http_sends_method_query_headers_and_bodies() {
    let s = TestServer::http();
    let o = run_http(&format!(
        r#"
method: POST
url: {}
query: {{ a: "1 2" }}
headers: {{ X-Trace: t-42 }}
body: {{ json: {{ k: [1, 2] }} }}
expect:
  json:
    /method: POST
    /query: a=1+2
    /headers/x-trace: t-42
    /headers/content-type: application/json
    /body: '{{"k":[1,2]}}'
"#,
        s.url("/echo")
    ));
    assert_status(&o, Status::Pass, "POST");
    let o = run_http(&format!(
        "method: PUT\nurl: {}\nbody: {{ form: {{ a: b, c: \"d e\" }} }}\nexpect:\n  json:\n    /method: PUT\n    /headers/content-type: application/x-www-form-urlencoded\n    /body: a=b&c=d+e\n",
        s.url("/echo")
    ));
    assert_status(&o, Status::Pass, "PUT");
    let o = run_http(&format!(
        "method: POST\nurl: {}\nheaders: {{ Content-Type: text/csv }}\nbody: {{ text: \"x,y\" }}\nexpect: {{ json: {{ /headers/content-type: text/csv, /body: \"x,y\" }} }}\n",
        s.url("/echo")
    ));
    assert_status(&o, Status::Pass, "POST");
}

#[test]
fn http_evidence_redacts_credentials_and_bounds_the_body() {
    let s = TestServer::http();
    let url = s.url("/cookie").replace("http://", "http://alice:pa55word@");
    let o = run_http(&format!(
        "url: \"{url}?token=tok-123&page=2\"\nheaders: {{ Authorization: Bearer sekret-xyz, Cookie: sid=c00kie }}\nexpect: {{ headers: {{ x-custom: {{ equals: v1 }} }} }}\n"
    ));
    assert_status(&o, Status::Pass, "200");
    let text = serde_json::to_string(&artifact(&o, "exchange.json")).unwrap();
    for secret in ["pa55word", "tok-123", "sekret-xyz", "c00kie", "s3cr3t-cookie"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
        assert!(!o.reason.contains(secret));
    }
    assert!(text.contains("[REDACTED]") && text.contains("page=2") && text.contains("\"v1\""));

    let o = run_http(&format!("url: {}\n", s.url("/big")));
    let ex = artifact(&o, "exchange.json");
    assert_eq!(ex["response"]["body"]["bytes"], 200 * 1024);
    assert_eq!(ex["response"]["body"]["truncated"], true);
    assert_eq!(ex["response"]["body"]["text"].as_str().unwrap().len(), 64 * 1024);
}

#[test]
fn http_json_schema_validates_the_body() {
    let s = TestServer::http();
    let h = Harness::new();
    h.write(
        "ok.schema.json",
        r#"{"type":"object","required":["status","count"],"properties":{"count":{"type":"integer"}}}"#,
    );
    h.write(
        "bad.schema.yaml",
        "type: object\nrequired: [absent_field]\nproperties:\n  count: { type: string }\n",
    );
    let ctx = h.ctx(Duration::from_secs(20));
    let ok = run_spec::<http::Kind>(
        &http_spec(&format!("url: {}\nexpect: {{ schema: ok.schema.json }}\n", s.url("/json"))),
        &ctx,
    );
    assert_status(&ok, Status::Pass, "200");
    let bad = run_spec::<http::Kind>(
        &http_spec(&format!("url: {}\nexpect: {{ schema: bad.schema.yaml }}\n", s.url("/json"))),
        &ctx,
    );
    assert_status(&bad, Status::Fail, "does not match the schema");
    assert!(bad.reason.contains("absent_field") && bad.reason.contains("/count"), "{}", bad.reason);
    let missing = run_spec::<http::Kind>(
        &http_spec(&format!("url: {}\nexpect: {{ schema: nope.json }}\n", s.url("/json"))),
        &ctx,
    );
    assert_status(&missing, Status::Error, "nope.json");
}

#[test]
fn http_samples_report_percentiles_and_hold_p95() {
    let s = TestServer::http();
    let o = run_http(&format!(
        "url: {}\nsamples: 25\nexpect: {{ max_p95_ms: 5000 }}\n",
        s.url("/json")
    ));
    assert_status(&o, Status::Pass, "over 25 samples");
    assert_eq!(measurement(&o, "samples"), 25.0);
    let (p50, p95, p99) = (
        measurement(&o, "latency_p50"),
        measurement(&o, "latency_p95"),
        measurement(&o, "latency_p99"),
    );
    assert!(p50 > 0.0 && p50 <= p95 && p95 <= p99, "{p50} {p95} {p99}");
    assert_eq!(
        artifact(&o, "exchange.json")["samples"]["latencies_ms"].as_array().unwrap().len(),
        25
    );
    let o = run_http(&format!(
        "url: {}\nsamples: 5\nexpect: {{ max_p95_ms: 20 }}\n",
        s.url("/slow/40")
    ));
    assert_status(&o, Status::Fail, "p95 latency");
    let o = run_http(&format!("url: {}\nexpect: {{ max_latency_ms: 50 }}\n", s.url("/slow/150")));
    assert_status(&o, Status::Fail, "slowest response took");
}

#[test]
fn http_connection_refused_fails_fast() {
    let addr = closed_port();
    let t = Instant::now();
    let o = run_http(&format!("url: http://{addr}/health\ntimeout: 3s\n"));
    assert_status(&o, Status::Fail, "connection refused");
    assert!(t.elapsed() < Duration::from_secs(3));
}

#[test]
fn http_dns_failure_names_the_cause() {
    let o = run_http("url: http://no-such-host.invalid/\ntimeout: 5s\n");
    assert_status(&o, Status::Fail, "DNS lookup failed");
}

#[test]
fn http_server_that_never_answers_times_out() {
    let s = TestServer::http();
    for url in [s.url("/hang"), format!("http://{}/", silent_listener())] {
        let t = Instant::now();
        let o = run_http(&format!("url: {url}\ntimeout: 500ms\n"));
        assert_status(&o, Status::Fail, "no response within 500ms");
        assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    }
    // The check's deadline caps a longer request timeout.
    let h = Harness::new();
    let t = Instant::now();
    let o = run_spec::<http::Kind>(
        &http_spec(&format!("url: {}\ntimeout: 30s\n", s.url("/hang"))),
        &h.ctx(Duration::from_millis(400)),
    );
    assert_eq!(o.status, Status::Fail, "{o:?}");
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
}

#[test]
fn http_non_json_body_with_json_expectations_fails() {
    let s = TestServer::http();
    let o =
        run_http(&format!("url: {}\nexpect: {{ json: {{ /status: ok }} }}\n", s.url("/notjson")));
    assert_status(&o, Status::Fail, "body is not JSON");
    assert!(
        o.reason.contains("Content-Type: application/json") && o.reason.contains("<html>"),
        "{}",
        o.reason
    );
}

#[test]
fn http_bad_spec_is_an_error_before_any_request() {
    let o = run_http(
        "url: http://127.0.0.1:1/\nexpect: { body: { regex: \"(\" }, json: { status: 1 } }\nsamples: 0\n",
    );
    assert_status(&o, Status::Error, "expect.body.regex: invalid regex");
    assert!(
        o.reason.contains("not a JSON Pointer") && o.reason.contains("samples: 0"),
        "{}",
        o.reason
    );
    assert!(o.artifacts.is_empty());
    let o = run_http("url: ftp://example.com/\n");
    assert_status(&o, Status::Error, "scheme `ftp`");
}

#[test]
fn https_needs_a_trusted_certificate() {
    let pki = TestPki::new(90);
    let s = TestServer::https(pki.server_config());
    let o = run_http(&format!("url: {}\ntimeout: 5s\n", s.url("/json")));
    assert_status(&o, Status::Fail, "TLS handshake failed");
    assert!(o.reason.contains("UnknownIssuer") && o.reason.contains("tls.ca_file"), "{}", o.reason);
    let o = run_http(&format!(
        "url: {}\ntls: {{ verify: false }}\nexpect: {{ min_cert_days: 30 }}\n",
        s.url("/json")
    ));
    assert_status(&o, Status::Pass, "200");
    let h = Harness::new();
    h.write("ca.pem", &pki.ca_pem);
    let ctx = h.ctx(Duration::from_secs(20));
    let o = run_spec::<http::Kind>(
        &http_spec(&format!(
            "url: {}\ntls: {{ ca_file: ca.pem }}\nexpect: {{ min_cert_days: 30, json: {{ /status: ok }} }}\n",
            s.url("/json")
        )),
        &ctx,
    );
    assert_status(&o, Status::Pass, "200");
    let days = measurement(&o, "cert_days_left");
    assert!((88.0..=90.0).contains(&days), "{days}");
}

#[test]
fn https_certificate_expiry_threshold() {
    let pki = TestPki::new(10);
    let s = TestServer::https(pki.server_config());
    let h = Harness::new();
    h.write("ca.pem", &pki.ca_pem);
    let ctx = h.ctx(Duration::from_secs(20));
    let o = run_spec::<http::Kind>(
        &http_spec(&format!(
            "url: {}\ntls: {{ ca_file: ca.pem }}\nexpect: {{ min_cert_days: 30 }}\n",
            s.url("/")
        )),
        &ctx,
    );
    assert_status(&o, Status::Fail, "TLS certificate expires in");
    assert!(o.reason.contains("(min 30)"));
    assert!(measurement(&o, "cert_days_left") < 11.0);
    let o = run_http(&format!(
        "url: {}\nexpect: {{ min_cert_days: 1 }}\n",
        s.url("/").replace("https", "http")
    ));
    assert_status(&o, Status::Error, "needs an https:// URL");
}

#[test]
fn https_client_certificate_for_mutual_tls() {
    let pki = TestPki::new(90);
    let s = TestServer::https(pki.mtls_server_config());
    let h = Harness::new();
    h.write("ca.pem", &pki.ca_pem);
    h.write("client.pem", &pki.client_cert_pem);
    h.write("client.key", &pki.client_key_pem);
    let ctx = h.ctx(Duration::from_secs(20));
    let with = run_spec::<http::Kind>(
        &http_spec(&format!(
            "url: {}\ntls: {{ ca_file: ca.pem, client_cert: client.pem, client_key: client.key }}\n",
            s.url("/json")
        )),
        &ctx,
    );
    assert_status(&with, Status::Pass, "200");
    let without = run_spec::<http::Kind>(
        &http_spec(&format!("url: {}\ntimeout: 5s\ntls: {{ ca_file: ca.pem }}\n", s.url("/json"))),
        &ctx,
    );
    assert_eq!(without.status, Status::Fail, "{without:?}");
    let half = run_spec::<http::Kind>(
        &http_spec(&format!("url: {}\ntls: {{ client_cert: client.pem }}\n", s.url("/json"))),
        &ctx,
    );
    assert_status(&half, Status::Error, "go together");
    let bad_ca = run_spec::<http::Kind>(
        &http_spec(&format!("url: {}\ntls: {{ ca_file: client.key }}\n", s.url("/json"))),
        &ctx,
    );
    assert_status(&bad_ca, Status::Error, "no PEM certificate");
}

fn tcp_spec(yaml: &str) -> tcp::Spec {
    serde_yaml::from_str(yaml).unwrap()
}

#[test]
fn tcp_connect_banner_and_failures() {
    let h = Harness::new();
    let ctx = h.ctx(Duration::from_secs(20));
    let s = TestServer::http();
    let o = run_spec::<tcp::Kind>(&tcp_spec(&format!("address: \"{}\"\n", s.addr)), &ctx);
    assert_status(&o, Status::Pass, "connected to");
    let banner = banner_listener("SSH-2.0-readyctl_test\r\n");
    let o = run_spec::<tcp::Kind>(
        &tcp_spec(&format!("address: \"{banner}\"\nbanner: '^SSH-2\\.0-'\n")),
        &ctx,
    );
    assert_status(&o, Status::Pass, "banner matches");
    let o = run_spec::<tcp::Kind>(
        &tcp_spec(&format!("address: \"{banner}\"\nbanner: '^220 '\n")),
        &ctx,
    );
    assert_status(&o, Status::Fail, "SSH-2.0-readyctl_test");
    let t = Instant::now();
    let o = run_spec::<tcp::Kind>(
        &tcp_spec(&format!("address: \"{}\"\nbanner: '^220'\ntimeout: 300ms\n", silent_listener())),
        &ctx,
    );
    assert_status(&o, Status::Fail, "sent nothing within 300ms");
    assert!(t.elapsed() < Duration::from_secs(2));
    let o = run_spec::<tcp::Kind>(&tcp_spec(&format!("address: \"{}\"\n", closed_port())), &ctx);
    assert_status(&o, Status::Fail, "cannot connect");
    let o = run_spec::<tcp::Kind>(&tcp_spec("address: no-such-host.invalid:80\n"), &ctx);
    assert_status(&o, Status::Fail, "cannot resolve");
    let o = run_spec::<tcp::Kind>(&tcp_spec("address: localhost\n"), &ctx);
    assert_status(&o, Status::Error, "is not `host:port`");
}

#[test]
fn dns_resolves_through_the_system_resolver() {
    let h = Harness::new();
    let ctx = h.ctx(Duration::from_secs(20));
    let spec = |y: &str| serde_yaml::from_str::<dns::Spec>(y).unwrap();
    let o = run_spec::<dns::Kind>(&spec("name: localhost\naddresses: [127.0.0.1]\n"), &ctx);
    assert_status(&o, Status::Pass, "127.0.0.1");
    assert_eq!(artifact(&o, "dns.json")["resolver"], "system (getaddrinfo)");
    let o = run_spec::<dns::Kind>(&spec("name: localhost\naddresses: [10.9.9.9]\n"), &ctx);
    assert_status(&o, Status::Fail, "not to 10.9.9.9");
    let o = run_spec::<dns::Kind>(
        &spec("name: 127.0.0.1\naddresses: [127.0.0.1]\nexact: true\n"),
        &ctx,
    );
    assert_status(&o, Status::Pass, "127.0.0.1");
    let o = run_spec::<dns::Kind>(&spec("name: no-such-host.invalid\n"), &ctx);
    assert_status(&o, Status::Fail, "cannot resolve `no-such-host.invalid`");
    let o = run_spec::<dns::Kind>(&spec("name: http://example.com/\n"), &ctx);
    assert_status(&o, Status::Error, "not a host name");
}

fn load_spec(yaml: &str) -> load::Spec {
    serde_yaml::from_str(yaml).unwrap()
}

#[test]
fn load_counts_requests_and_reports_percentiles() {
    let s = TestServer::http();
    let h = Harness::new();
    let o = run_spec::<load::Kind>(
        &load_spec(&format!(
            "url: {}\nrequests: 300\nconcurrency: 4\nmax_error_rate: 0\nmax_p99_ms: 2000\n",
            s.url("/json")
        )),
        &h.ctx(Duration::from_secs(30)),
    );
    assert_status(&o, Status::Pass, "300 requests");
    assert_eq!(measurement(&o, "requests"), 300.0);
    assert!(measurement(&o, "throughput") > 0.0);
    let doc = artifact(&o, "load.json");
    assert_eq!(doc["result"]["statuses"]["200"], 300);
    for k in ["p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms"] {
        assert!(doc["result"][k].as_f64().unwrap() > 0.0, "{k}");
    }
    assert!(doc["result"]["p50_ms"].as_f64() <= doc["result"]["p99_ms"].as_f64());
}

#[test]
fn load_error_rate_and_latency_thresholds_fail() {
    let s = TestServer::http();
    let h = Harness::new();
    let ctx = h.ctx(Duration::from_secs(30));
    let o = run_spec::<load::Kind>(
        &load_spec(&format!(
            "url: {}\nrequests: 40\nconcurrency: 2\nmax_error_rate: 0.5\n",
            s.url("/status/503")
        )),
        &ctx,
    );
    assert_status(&o, Status::Fail, "error rate 100.00% (40 of 40)");
    assert!(o.reason.contains("503 ×40"), "{}", o.reason);
    let o = run_spec::<load::Kind>(
        &load_spec(&format!(
            "url: {}\nrequests: 8\nconcurrency: 4\nmax_p95_ms: 5\n",
            s.url("/slow/30")
        )),
        &ctx,
    );
    assert_status(&o, Status::Fail, "p95");
    let o = run_spec::<load::Kind>(
        &load_spec(&format!("url: http://{}/\nrequests: 5\n", closed_port())),
        &ctx,
    );
    assert_status(&o, Status::Fail, "connection refused");
}

#[test]
fn load_duration_rate_and_deadline_bounds() {
    let s = TestServer::http();
    let h = Harness::new();
    let t = Instant::now();
    let o = run_spec::<load::Kind>(
        &load_spec(&format!("url: {}\nduration: 300ms\nconcurrency: 2\n", s.url("/"))),
        &h.ctx(Duration::from_secs(30)),
    );
    assert_status(&o, Status::Pass, "requests");
    assert!(t.elapsed() >= Duration::from_millis(300) && t.elapsed() < Duration::from_secs(3));
    assert!(measurement(&o, "requests") > 10.0);
    // 10 requests at 50/s are spread over at least 180 ms.
    let t = Instant::now();
    let o = run_spec::<load::Kind>(
        &load_spec(&format!("url: {}\nrequests: 10\nrate: 50\nconcurrency: 3\n", s.url("/"))),
        &h.ctx(Duration::from_secs(30)),
    );
    assert_status(&o, Status::Pass, "10 requests");
    assert!(t.elapsed() >= Duration::from_millis(175), "{:?}", t.elapsed());
    // The check deadline stops a longer load, as an error with what was measured.
    let t = Instant::now();
    let o = run_spec::<load::Kind>(
        &load_spec(&format!("url: {}\nduration: 1m\n", s.url("/"))),
        &h.ctx(Duration::from_millis(300)),
    );
    assert_status(&o, Status::Error, "stopped early (check deadline reached)");
    assert!(t.elapsed() < Duration::from_secs(3));
    assert!(measurement(&o, "requests") > 0.0);
    let o = run_spec::<load::Kind>(
        &load_spec(&format!("url: {}\n", s.url("/"))),
        &h.ctx(Duration::from_secs(5)),
    );
    assert_status(&o, Status::Error, "set `requests` or `duration`");
}

fn openapi_spec(yaml: &str) -> openapi::Spec {
    serde_yaml::from_str(yaml).unwrap()
}

fn fixture_harness() -> Harness {
    let h = Harness::new();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/net/openapi");
    for f in ["ok.yaml", "undeclared.json", "invalid.yaml"] {
        h.write(f, &std::fs::read_to_string(format!("{dir}/{f}")).unwrap());
    }
    h
}

#[test]
fn openapi_calls_parameterless_operations() {
    let s = TestServer::http();
    let h = fixture_harness();
    let ctx = h.ctx(Duration::from_secs(30));
    let o = run_spec::<openapi::Kind>(
        &openapi_spec(&format!("spec: ok.yaml\nbase_url: {}\n", s.base)),
        &ctx,
    );
    assert_status(&o, Status::Pass, "3 of 3 called operations answered as documented");
    assert_eq!(measurement(&o, "operations_documented"), 6.0);
    assert_eq!(measurement(&o, "operations_skipped"), 2.0);
    let doc = artifact(&o, "openapi.json");
    let skipped: Vec<String> = doc["operations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["result"] == "skipped")
        .map(|r| r["why"].as_str().unwrap().to_string())
        .collect();
    assert!(skipped.contains(&"requires query parameter `q`".to_string()), "{skipped:?}");
    // POST too: the only POST needs a body, so it is skipped, not called.
    let o = run_spec::<openapi::Kind>(
        &openapi_spec(&format!("spec: ok.yaml\nbase_url: {}/\nmethods: [GET, POST]\n", s.base)),
        &ctx,
    );
    assert_status(&o, Status::Pass, "3 skipped");
    // The document can come from a URL.
    let o = run_spec::<openapi::Kind>(
        &openapi_spec(&format!("spec: {}\nbase_url: {}\n", s.url("/openapi.yaml"), s.base)),
        &ctx,
    );
    assert_status(&o, Status::Pass, "3 of 3");
}

#[test]
fn openapi_fails_on_5xx_and_undocumented_statuses() {
    let s = TestServer::http();
    let h = fixture_harness();
    let o = run_spec::<openapi::Kind>(
        &openapi_spec(&format!("spec: undeclared.json\nbase_url: {}\n", s.base)),
        &h.ctx(Duration::from_secs(30)),
    );
    assert_status(&o, Status::Fail, "GET /teapot → 418 (documented: 200)");
    assert!(o.reason.contains("1 of 3 called operations"), "{}", o.reason);
    let doc = artifact(&o, "openapi.json");
    assert!(
        doc["failures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f.as_str().unwrap().contains("/broken → 500 (server error)"))
    );
    let o = run_spec::<openapi::Kind>(
        &openapi_spec(&format!("spec: ok.yaml\nbase_url: http://{}\ntimeout: 2s\n", closed_port())),
        &h.ctx(Duration::from_secs(30)),
    );
    assert_status(&o, Status::Fail, "connection refused");
}

#[test]
fn openapi_structural_problems_are_located() {
    let h = fixture_harness();
    let ctx = h.ctx(Duration::from_secs(10));
    let o = run_spec::<openapi::Kind>(
        &openapi_spec("spec: invalid.yaml\nbase_url: http://127.0.0.1:1\n"),
        &ctx,
    );
    assert_status(&o, Status::Error, "6 problems");
    assert!(
        o.reason.contains(
            "invalid.yaml:15: paths./orders.post.responses.20x: `20x` is not a status code"
        ),
        "{}",
        o.reason
    );
    assert!(o.reason.contains("invalid.yaml:1: openapi: expected a 3.x version"), "{}", o.reason);
    assert!(
        o.reason.contains("invalid.yaml:5: paths.pets: path `pets` must start with `/`"),
        "{}",
        o.reason
    );
    assert!(
        o.reason.contains("invalid.yaml:11: paths./orders.get: `responses` is missing"),
        "{}",
        o.reason
    );
    assert_eq!(o.locations.len(), 6);
    h.write("broken.yaml", "openapi: 3.0.0\ninfo: [unclosed\n");
    let o = run_spec::<openapi::Kind>(
        &openapi_spec("spec: broken.yaml\nbase_url: http://127.0.0.1:1\n"),
        &ctx,
    );
    assert_status(&o, Status::Error, "broken.yaml:3:1: not valid YAML");
    let o = run_spec::<openapi::Kind>(
        &openapi_spec("spec: absent.yaml\nbase_url: http://127.0.0.1:1\n"),
        &ctx,
    );
    assert_status(&o, Status::Error, "absent.yaml");
}

#[test]
fn ctrl_c_stops_load_and_samples() {
    let s = TestServer::http();
    let h = Harness::new();
    let ctx = h.ctx(Duration::from_secs(30));
    let t = Instant::now();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(200));
            h.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let o = run_spec::<load::Kind>(
            &load_spec(&format!("url: {}\nduration: 1m\n", s.url("/"))),
            &ctx,
        );
        assert_status(&o, Status::Error, "stopped early (cancelled)");
        assert!(measurement(&o, "requests") > 0.0);
    });
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    let o = run_spec::<http::Kind>(&http_spec(&format!("url: {}\nsamples: 5\n", s.url("/"))), &ctx);
    assert_status(&o, Status::Error, "cancelled after 0 of 5 samples");
}
