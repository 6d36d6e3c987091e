//! Generates large inputs and times readyctl's readers on them.
//!
//! formats-bench gen-junit CASES PATH   write a JUnit file (5% failures, 2% skipped)
//! formats-bench gen-lcov LINES PATH    write an lcov tracefile of about LINES lines
//! formats-bench junit PATH             parse, print counts and milliseconds
//! formats-bench lcov PATH              parse, print line figures and milliseconds

use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use readyctl::formats::{self, CoverageFormat, TestFormat};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).unwrap_or_else(|| usage());
    match arg(1).as_str() {
        "gen-junit" => gen_junit(arg(2).parse().unwrap_or_else(|_| usage()), Path::new(arg(3))),
        "gen-lcov" => gen_lcov(arg(2).parse().unwrap_or_else(|_| usage()), Path::new(arg(3))),
        "junit" => {
            let t = Instant::now();
            let r = formats::read_tests(Path::new(arg(2)), Some(TestFormat::Junit)).unwrap();
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            let c = r.counts();
            println!("total={} failed={} skipped={} ms={ms:.1}", c.total, c.failed, c.skipped);
        }
        "lcov" => {
            let t = Instant::now();
            let r = formats::read_coverage(Path::new(arg(2)), Some(CoverageFormat::Lcov)).unwrap();
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            let l = r.lines();
            println!("files={} lines={}/{} ms={ms:.1}", r.files.len(), l.covered, l.total);
        }
        _ => usage(),
    }
}

fn usage() -> ! {
    eprintln!("usage: formats-bench gen-junit N PATH | gen-lcov N PATH | junit PATH | lcov PATH");
    std::process::exit(2)
}

fn gen_junit(cases: usize, path: &Path) {
    let mut w = BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, r#"<?xml version="1.0" encoding="utf-8"?>"#).unwrap();
    writeln!(w, r#"<testsuites name="bench">"#).unwrap();
    let per_suite = 1000;
    for s in 0..cases.div_ceil(per_suite) {
        writeln!(w, r#"  <testsuite name="pkg.suite{s}" tests="{per_suite}">"#).unwrap();
        for i in 0..per_suite.min(cases - s * per_suite) {
            let n = s * per_suite + i;
            write!(w, r#"    <testcase classname="pkg.suite{s}.Class{}" name="test_case_{n}" time="0.{:03}""#, i % 10, n % 1000).unwrap();
            if n % 20 == 7 {
                writeln!(
                    w,
                    r#"><failure message="assert {n} == {}">Traceback (most recent call last):
  File "tests/test_{s}.py", line {i}, in test_case_{n}
AssertionError: assert {n} == {}</failure></testcase>"#,
                    n + 1,
                    n + 1
                )
                .unwrap();
            } else if n % 50 == 3 {
                writeln!(w, r#"><skipped message="not today"/></testcase>"#).unwrap();
            } else {
                writeln!(w, "/>").unwrap();
            }
        }
        writeln!(w, "  </testsuite>").unwrap();
    }
    writeln!(w, "</testsuites>").unwrap();
}

fn gen_lcov(lines: usize, path: &Path) {
    let mut w = BufWriter::new(std::fs::File::create(path).unwrap());
    // Each file record: SF + 480 DA + 16 BRDA + LF/LH/BRF/BRH + end_of_record ≈ 502 lines.
    let mut written = 0;
    let mut f = 0;
    while written < lines {
        writeln!(w, "TN:\nSF:src/module_{f}/file_{f}.rs").unwrap();
        for l in 1..=480 {
            writeln!(w, "DA:{l},{}", if (l + f) % 4 == 0 { 0 } else { l % 7 + 1 }).unwrap();
        }
        for b in 0..16 {
            writeln!(
                w,
                "BRDA:{},0,{b},{}",
                b * 10 + 1,
                if b % 3 == 0 { "-".to_string() } else { b.to_string() }
            )
            .unwrap();
        }
        writeln!(w, "LF:480\nLH:360\nBRF:16\nBRH:10\nend_of_record").unwrap();
        written += 480 + 16 + 8;
        f += 1;
    }
}
