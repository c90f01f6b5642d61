//! Any bytes as a `POST /RPC2` body: the decoder must answer with a call or
//! a 400 reason, never panic, and not expand entities. The same bytes as an
//! answer, through the client's reader (`xml::parse_response`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use supervisor_rpc::dispatch::decode_call;
use supervisor_rpc::xml::parse_response;

fuzz_target!(|data: &[u8]| {
    if let Ok(call) = decode_call(data) {
        // What the dispatcher reads of a call must be reachable too.
        let _ = (call.name.len(), call.params.len());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_response(text);
    }
});
