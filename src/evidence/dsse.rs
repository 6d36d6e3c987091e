//! DSSE v1 envelopes (<https://github.com/secure-systems-lab/dsse/blob/master/protocol.md>):
//! Ed25519 signatures over the Pre-Authentication Encoding of the payload type and the payload.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::keys::{keyid, legacy_keyid};

/// Payload type of an in-toto Statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// A DSSE envelope as serialized in `manifest.dsse.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// Base64 (standard alphabet, padded) of the payload bytes.
    pub payload: String,
    /// Media type of the payload.
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    /// One entry per signer.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature of an envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    /// Key id of the signing key (see `keys::keyid`).
    #[serde(default)]
    pub keyid: String,
    /// Base64 of the 64-byte Ed25519 signature over the PAE.
    pub sig: String,
}

/// `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths as ASCII
/// decimal byte counts.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + payload_type.len() + 32);
    out.extend_from_slice(
        format!("DSSEv1 {} {} {} ", payload_type.len(), payload_type, payload.len()).as_bytes(),
    );
    out.extend_from_slice(payload);
    out
}

/// Signs `payload` and returns a one-signature envelope.
pub fn sign(payload_type: &str, payload: &[u8], key: &SigningKey) -> Envelope {
    let sig = key.sign(&pae(payload_type, payload));
    Envelope {
        payload: STANDARD.encode(payload),
        payload_type: payload_type.to_string(),
        signatures: vec![EnvelopeSignature {
            keyid: keyid(&key.verifying_key()),
            sig: STANDARD.encode(sig.to_bytes()),
        }],
    }
}

/// Decodes base64 in either alphabet (the DSSE spec allows both), padded or not.
fn decode_b64(s: &str) -> Option<Vec<u8>> {
    STANDARD.decode(s).or_else(|_| URL_SAFE.decode(s)).or_else(|_| URL_SAFE_NO_PAD.decode(s)).ok()
}

/// Outcome of checking an envelope's signatures against trusted keys.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignatureCheck {
    /// Key ids of trusted keys that produced a valid signature.
    pub valid_keyids: Vec<String>,
    /// One line per signature that did not verify: which keyid, and why.
    pub problems: Vec<String>,
}

impl SignatureCheck {
    /// True when at least one signature verified with a trusted key.
    pub fn is_valid(&self) -> bool {
        !self.valid_keyids.is_empty()
    }
}

impl Envelope {
    /// The decoded payload bytes.
    pub fn payload_bytes(&self) -> Result<Vec<u8>, String> {
        decode_b64(&self.payload).ok_or_else(|| "payload is not valid base64".to_string())
    }

    /// Pretty JSON with a trailing newline (one field per line, so `sed` can pull fields out).
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("an envelope always serializes");
        v.push(b'\n');
        v
    }

    /// Checks every signature against `trusted`. A signature is matched to the key with the
    /// same keyid; a signature whose keyid names no trusted key is still tried against every
    /// trusted key (the DSSE spec makes keyid an unauthenticated hint).
    pub fn verify(&self, trusted: &[VerifyingKey]) -> SignatureCheck {
        let mut check = SignatureCheck::default();
        let payload = match self.payload_bytes() {
            Ok(p) => p,
            Err(e) => {
                check.problems.push(e);
                return check;
            }
        };
        if self.signatures.is_empty() {
            check.problems.push("envelope has no signatures".into());
            return check;
        }
        let message = pae(&self.payload_type, &payload);
        let trusted: Vec<(String, &VerifyingKey)> = trusted.iter().map(|k| (keyid(k), k)).collect();
        // Envelopes from before the key id change name keys by their legacy id.
        let names = |s: &EnvelopeSignature, id: &str, k: &VerifyingKey| {
            s.keyid == id || s.keyid == legacy_keyid(k)
        };
        for (i, s) in self.signatures.iter().enumerate() {
            let label = if s.keyid.is_empty() {
                format!("signature #{}", i + 1)
            } else {
                format!("keyid {}", s.keyid)
            };
            let Some(bytes) = decode_b64(&s.sig) else {
                check.problems.push(format!("{label}: signature is not valid base64"));
                continue;
            };
            let Ok(sig) = ed25519_dalek::Signature::from_slice(&bytes) else {
                check
                    .problems
                    .push(format!("{label}: signature is {} bytes, expected 64", bytes.len()));
                continue;
            };
            let matching: Vec<_> = trusted.iter().filter(|(id, k)| names(s, id, k)).collect();
            let candidates: Vec<_> =
                if matching.is_empty() { trusted.iter().collect() } else { matching };
            match candidates.iter().find(|(_, k)| k.verify_strict(&message, &sig).is_ok()) {
                Some((id, _)) => {
                    if !check.valid_keyids.contains(id) {
                        check.valid_keyids.push(id.clone());
                    }
                }
                None if trusted.iter().any(|(id, k)| names(s, id, k)) => check
                    .problems
                    .push(format!("{label}: signature does not match the signed bytes (tampered payload or wrong key)")),
                None => check
                    .problems
                    .push(format!("{label}: not signed by any trusted key")),
            }
        }
        check
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_spec_example() {
        // Test vector from the DSSE protocol document.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ".to_vec());
    }

    #[test]
    fn sign_then_verify_and_name_failures() {
        let a = SigningKey::from_bytes(&[1u8; 32]);
        let b = SigningKey::from_bytes(&[2u8; 32]);
        let env = sign(IN_TOTO_PAYLOAD_TYPE, b"{\"x\":1}\n", &a);
        assert_eq!(env.signatures[0].keyid, keyid(&a.verifying_key()));
        let ok = env.verify(&[a.verifying_key()]);
        assert!(ok.is_valid() && ok.problems.is_empty(), "{ok:?}");

        let wrong = env.verify(&[b.verifying_key()]);
        assert!(!wrong.is_valid());
        assert!(wrong.problems[0].contains(&env.signatures[0].keyid), "{wrong:?}");
        assert!(wrong.problems[0].contains("not signed by any trusted key"));

        let mut tampered = env.clone();
        tampered.payload = STANDARD.encode(b"{\"x\":2}\n");
        let bad = tampered.verify(&[a.verifying_key()]);
        assert!(!bad.is_valid());
        assert!(bad.problems[0].contains("does not match"), "{bad:?}");

        let mut retyped = env.clone();
        retyped.payload_type = "text/plain".into();
        assert!(!retyped.verify(&[a.verifying_key()]).is_valid());

        // An envelope from before the key id change (legacy id) still verifies, and its
        // failures are still named as a wrong signature by that known key.
        let mut legacy = env.clone();
        legacy.signatures[0].keyid = legacy_keyid(&a.verifying_key());
        let ok = legacy.verify(&[b.verifying_key(), a.verifying_key()]);
        assert_eq!(ok.valid_keyids, vec![keyid(&a.verifying_key())], "{ok:?}");
        legacy.payload = STANDARD.encode(b"{\"x\":2}\n");
        let bad = legacy.verify(&[a.verifying_key()]);
        assert!(bad.problems[0].contains("does not match"), "{bad:?}");
    }

    #[test]
    fn json_roundtrip_uses_dsse_field_names() {
        let a = SigningKey::from_bytes(&[1u8; 32]);
        let env = sign(IN_TOTO_PAYLOAD_TYPE, b"abc", &a);
        let text = String::from_utf8(env.to_json_bytes()).unwrap();
        assert!(text.contains("\"payloadType\": \"application/vnd.in-toto+json\""));
        let back: Envelope = serde_json::from_str(&text).unwrap();
        assert_eq!(back, env);
        assert_eq!(back.payload_bytes().unwrap(), b"abc");
    }
}
