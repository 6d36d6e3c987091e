//! The `exchange.json` evidence: one request and its response (or the failure), with credential
//! headers, URL passwords and secret query values redacted and the body cut to 64 KiB.

use serde_json::{Value, json};

use super::client::{HttpFailure, HttpReply, RequestPlan};
use super::redact;
use super::stats::ms;

/// Largest body excerpt kept in evidence.
pub const EVIDENCE_BODY_LIMIT: usize = 64 * 1024;

fn body_json(bytes: &[u8], total: u64) -> Value {
    let kept = &bytes[..bytes.len().min(EVIDENCE_BODY_LIMIT)];
    let (text, encoding) = match std::str::from_utf8(kept) {
        Ok(s) => (s.to_string(), "utf-8"),
        // A cut may split a character: keep the valid prefix when that is the only problem.
        Err(e) if e.error_len().is_none() => {
            (String::from_utf8_lossy(&kept[..e.valid_up_to()]).into_owned(), "utf-8")
        }
        Err(_) => (String::from_utf8_lossy(kept).into_owned(), "utf-8-lossy"),
    };
    json!({
        "text": text,
        "encoding": encoding,
        "bytes": total,
        "truncated": total > kept.len() as u64,
    })
}

fn headers_json(headers: &[(String, String)]) -> Value {
    Value::Array(
        headers
            .iter()
            .map(|(k, v)| json!({ "name": k, "value": redact::header_value(k, v) }))
            .collect(),
    )
}

/// The request half, as sent (query parameters folded into the recorded URL).
pub fn request_json(plan: &RequestPlan<'_>) -> Value {
    let url = match url::Url::parse(plan.url) {
        Ok(mut u) => {
            if !plan.query.is_empty() {
                u.query_pairs_mut().extend_pairs(plan.query.iter());
            }
            u.to_string()
        }
        Err(_) => plan.url.to_string(),
    };
    let mut req = json!({
        "method": plan.method.as_str(),
        "url": redact::url(&url),
        "headers": headers_json(plan.headers),
    });
    if let Some(body) = plan.body {
        let (bytes, content_type) = body.encode();
        req["body"] = body_json(&bytes, bytes.len() as u64);
        req["body"]["content_type"] = json!(content_type);
    }
    req
}

/// The whole exchange document.
pub fn exchange_json(plan: &RequestPlan<'_>, outcome: &Result<HttpReply, HttpFailure>) -> Value {
    let mut doc = json!({ "request": request_json(plan) });
    match outcome {
        Ok(r) => {
            doc["response"] = json!({
                "status": r.status,
                "status_text": r.status_text,
                "http_version": r.http_version,
                "url": redact::url(&r.final_url),
                "headers": headers_json(&r.headers),
                "body": body_json(&r.body, r.body_len),
                "elapsed_ms": ms(r.elapsed),
            });
        }
        Err(f) => {
            doc["error"] = json!({
                "kind": format!("{:?}", f.kind).to_lowercase(),
                "message": f.message,
                "elapsed_ms": ms(f.elapsed),
            });
        }
    }
    doc
}
