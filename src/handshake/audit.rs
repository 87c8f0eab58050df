//! Audits of recorded exchanges: every check run independently.
//!
//! These serve `examples/handshake_check` and the tests; they are hidden from the docs and not
//! part of the stable API (their list of checks may change with the validation itself).

use super::*;

// ---------------------------------------------------------------------------------------------
// Audits.

/// One check of a recorded handshake and its outcome.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// RFC 6455 section (and item) the rule comes from.
    pub section: &'static str,
    /// What is checked.
    pub rule: &'static str,
    /// `Ok` if the rule holds, else the error a strict peer reports.
    pub result: Result<(), HandshakeError>,
}

/// Number of verdicts [`audit_request`] returns.
#[doc(hidden)]
pub const REQUEST_CHECK_COUNT: usize = REQUEST_CHECKS.len();
/// Number of verdicts [`audit_response`] returns.
#[doc(hidden)]
pub const RESPONSE_CHECK_COUNT: usize = 6;

/// Runs every server-side check on a request independently (the handshake itself stops at the
/// first failure, in this order).
#[doc(hidden)]
pub fn audit_request(req: &Request<'_, '_>) -> [Verdict; REQUEST_CHECK_COUNT] {
    let seen = ReqSeen::collect(req.headers());
    REQUEST_CHECKS.map(|(section, rule, check)| Verdict {
        section,
        rule,
        result: check(req, &seen),
    })
}

/// Runs every client-side check on a response to `req` independently: the expected accept value
/// comes from the request's (first) `Sec-WebSocket-Key`, the offers from its
/// `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions`.
#[doc(hidden)]
pub fn audit_response(
    resp: &Response<'_, '_>,
    req: &Request<'_, '_>,
) -> [Verdict; RESPONSE_CHECK_COUNT] {
    let seen = RespSeen::collect(resp.headers());
    let expected = accept_key(req.header("sec-websocket-key").unwrap_or_default());
    let mut out = [Verdict {
        section: "",
        rule: "",
        result: Ok(()),
    }; RESPONSE_CHECK_COUNT];
    let mut i = 0;
    response_checks(
        resp,
        &seen,
        &expected,
        &|p| ListIter::new(req.headers(), PROTOCOL).any(|o| o == p),
        &|name| {
            Extensions::new(req.headers(), EXTENSIONS)
                .any(|e| e.is_ok_and(|e| e.name().as_bytes().eq_ignore_ascii_case(name)))
        },
        |section, rule, result| {
            if let Some(v) = out.get_mut(i) {
                *v = Verdict {
                    section,
                    rule,
                    result,
                };
            }
            i += 1;
            true
        },
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_responses_are_well_formed() {
        let errs = [
            HandshakeError::Method,
            HandshakeError::HttpVersion,
            HandshakeError::Host,
            HandshakeError::Upgrade,
            HandshakeError::Connection,
            HandshakeError::Version,
            HandshakeError::MissingKey,
            HandshakeError::InvalidKey,
            HandshakeError::Origin,
            HandshakeError::Subprotocols,
            HandshakeError::Extensions,
        ];
        for e in errs {
            let r = e.response().unwrap();
            let mut slots = [Header::EMPTY; 8];
            let resp = http::parse_response(r, &mut slots, &HeadConfig::default())
                .unwrap()
                .complete()
                .unwrap();
            assert_eq!(Some(resp.status()), e.status());
            let body = &r[resp.head_len()..];
            assert_eq!(resp.content_length().unwrap(), Some(body.len() as u64));
        }
    }
}
