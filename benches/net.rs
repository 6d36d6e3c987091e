//! Network probe benchmark (run through `bench/net/run.sh`; not a timed test).
//!
//! 1. Throughput: the `load` probe against a local keep-alive HTTP server vs `wrk` against the
//!    same URL with the same number of connections. Target: probe ≥ 50% of wrk's req/s.
//! 2. Per-request overhead: the `http` probe with `samples: 100` (wall time / 100) vs curl's
//!    own `%{time_total}`, both as one curl process per request (new connection each time) and
//!    as one curl process fetching the URL 100 times over one kept-alive connection.
//!    Target: under 1 ms per request above curl.
//!
//! Settings (environment): NET_BENCH_CONCURRENCY (4), NET_BENCH_SECONDS (3), NET_BENCH_ROUNDS (3).

#[path = "../tests/integration/support_net.rs"]
mod support_net;

use std::process::Command;
use std::time::{Duration, Instant};

use readyctl::outcome::Status;
use readyctl::probe::{http, load, run_spec};
use support_net::{Harness, TestServer};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn measurement(o: &readyctl::outcome::ProbeOutcome, name: &str) -> f64 {
    o.measurements.iter().find(|m| m.name == name).map(|m| m.value).unwrap_or(f64::NAN)
}

fn wrk_rps(url: &str, connections: u64, seconds: u64) -> Option<f64> {
    let threads = connections.min(2);
    let out = Command::new("wrk")
        .args(["-t", &threads.to_string(), "-c", &connections.to_string()])
        .args(["-d", &format!("{seconds}s"), url])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn curl_times(args: &[&str]) -> Vec<f64> {
    let out = Command::new("curl").args(args).output().expect("curl runs");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .filter_map(|t| t.parse::<f64>().ok())
        .map(|s| s * 1000.0)
        .collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else to parse.
    let concurrency = env_or("NET_BENCH_CONCURRENCY", 4);
    let seconds = env_or("NET_BENCH_SECONDS", 3);
    let server = TestServer::http();
    let url = server.url("/json");
    let h = Harness::new();
    println!("endpoint: {url} (Rust test server, keep-alive, thread per connection)");

    // --- 1. throughput: alternate probe and wrk runs, compare medians (the machine is shared,
    // so single runs are noisy) ---
    let rounds = env_or("NET_BENCH_ROUNDS", 3).max(1);
    let spec: load::Spec = serde_yaml::from_str(&format!(
        "url: {url}\nduration: {seconds}s\nconcurrency: {concurrency}\n"
    ))
    .unwrap();
    let warm: load::Spec =
        serde_yaml::from_str(&format!("url: {url}\nduration: 1s\nconcurrency: {concurrency}\n"))
            .unwrap();
    run_spec::<load::Kind>(&warm, &h.ctx(Duration::from_secs(60)));
    let mut probe_runs = Vec::new();
    let mut wrk_runs = Vec::new();
    println!(
        "\n## load probe vs wrk ({concurrency} connections, {seconds}s per run, {rounds} rounds)"
    );
    for round in 1..=rounds {
        let o = run_spec::<load::Kind>(&spec, &h.ctx(Duration::from_secs(seconds + 60)));
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let rps = measurement(&o, "throughput");
        probe_runs.push(rps);
        let w = wrk_rps(&url, concurrency, seconds);
        println!(
            "round {round}: load probe {rps:.0} req/s (p50 {} ms), wrk {}",
            measurement(&o, "latency_p50"),
            w.map(|w| format!("{w:.0} req/s")).unwrap_or_else(|| "unavailable".into())
        );
        wrk_runs.extend(w);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let probe_rps = median(&mut probe_runs);
    println!("load probe median: {probe_rps:.0} req/s");
    if wrk_runs.is_empty() {
        println!("wrk: not available (install Debian package `wrk`)");
    } else {
        let w = median(&mut wrk_runs);
        println!("wrk median:        {w:.0} req/s");
        println!("ratio:             {:.2} (target >= 0.50)", probe_rps / w);
    }

    // --- 2. per-request overhead of samples: 100 ---
    let n = 100;
    let spec: http::Spec =
        serde_yaml::from_str(&format!("url: {url}\nsamples: {n}\nexpect: {{ status: 200 }}\n"))
            .unwrap();
    run_spec::<http::Kind>(&spec, &h.ctx(Duration::from_secs(60))); // warm-up
    let mut per_request = Vec::new();
    let mut p50s = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let o = run_spec::<http::Kind>(&spec, &h.ctx(Duration::from_secs(60)));
        assert_eq!(o.status, Status::Pass, "{o:?}");
        per_request.push(t.elapsed().as_secs_f64() * 1000.0 / n as f64);
        p50s.push(measurement(&o, "latency_p50"));
    }
    per_request.sort_by(f64::total_cmp);
    let probe_ms = per_request[per_request.len() / 2];
    let fmt = "%{time_total}\n";
    let mut separate = Vec::new();
    for _ in 0..n {
        separate.extend(curl_times(&["-s", "-o", "/dev/null", "-w", fmt, &url]));
    }
    let mut args: Vec<&str> = vec!["-s"];
    for _ in 0..n {
        args.extend(["-o", "/dev/null", "-w", fmt, &url]);
    }
    let reused = curl_times(&args);
    let curl_new = mean(&separate);
    let curl_reused = mean(&reused);
    println!("\n## samples: {n} vs curl (median of 5 probe runs)");
    println!(
        "http probe, wall time per sample:   {probe_ms:.3} ms (probe-measured p50 {:.3} ms)",
        p50s[2]
    );
    println!("curl time_total, new connection:    {curl_new:.3} ms ({} runs)", separate.len());
    println!("curl time_total, kept-alive (1 process, {} URLs): {curl_reused:.3} ms", reused.len());
    println!(
        "overhead vs curl (new connection):  {:+.3} ms per request (target < 1 ms)",
        probe_ms - curl_new
    );
    println!(
        "overhead vs curl (kept-alive):      {:+.3} ms per request (target < 1 ms)",
        probe_ms - curl_reused
    );
}
