//! Any bytes as a `POST /RPC2` body: the decoder must answer with a call or
//! a 400 reason, never panic, and not expand entities.
#![no_main]

use libfuzzer_sys::fuzz_target;
use supervisor_rpc::dispatch::decode_call;

fuzz_target!(|data: &[u8]| {
    if let Ok(call) = decode_call(data) {
        // What the dispatcher reads of a call must be reachable too.
        let _ = (call.name.len(), call.params.len());
    }
});
