//! Checklist YAML loading and validation: `checklist::load` on a file with arbitrary bytes
//! (parse, `extends` of built-ins, interpolation, typed deserialization, validation).
#![no_main]
use libfuzzer_sys::fuzz_target;
use readyctl::checklist::load::{Options, Source, load};

#[path = "scratch.rs"]
mod scratch;

fuzz_target!(|data: &[u8]| {
    let path = scratch::write("readiness.yaml", data);
    let env = |_: &str| None;
    let opts = Options {
        env: &env,
        var_overrides: Default::default(),
        display_base: scratch::dir().clone(),
    };
    let _ = load(&Source::File(path), &opts);
});
