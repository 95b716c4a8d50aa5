//! Benchmark: 1,000,000 `due` computations with random starts in 2026 and targets up to five
//! business days (2400 min) on the China 5×8 calendar with the `cn-2026` holiday set.
//! Run: `cargo bench -p weihu-domain --bench due` (release profile, std::time::Instant only).

use std::hint::black_box;
use std::time::Instant;

use jiff::{SignedDuration, Timestamp};
use weihu_domain::calendar::Calendar;
use weihu_domain::sla::{business_time, due_at};

/// xorshift64*: a tiny deterministic generator, so every run measures the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cal = Calendar::five_by_8("Asia/Shanghai")?.with_holiday_set("cn-2026")?;
    let year_start: Timestamp = "2026-01-01T00:00:00+08:00".parse()?;
    let year_secs = 365 * 86_400u64;
    const N: usize = 1_000_000;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let inputs: Vec<(Timestamp, SignedDuration)> = (0..N)
        .map(|_| {
            let start =
                Timestamp::from_second(year_start.as_second() + (rng.next() % year_secs) as i64)?;
            let target = SignedDuration::from_mins((rng.next() % 2400 + 1) as i64);
            Ok((start, target))
        })
        .collect::<Result<_, jiff::Error>>()?;

    for (name, reps) in [("warm-up", 1), ("due", 3)] {
        for _ in 0..reps {
            let t0 = Instant::now();
            let mut checksum = 0i64;
            for &(start, target) in &inputs {
                checksum = checksum
                    .wrapping_add(due_at(&cal, black_box(start), black_box(target))?.as_second());
            }
            let secs = t0.elapsed().as_secs_f64();
            if name == "due" {
                println!(
                    "due: {N} computations in {:.3} s = {:.2} M/s ({:.0} ns each) [checksum {checksum}]",
                    secs,
                    N as f64 / secs / 1e6,
                    secs * 1e9 / N as f64
                );
            }
        }
    }

    let t0 = Instant::now();
    let mut total = SignedDuration::ZERO;
    for &(start, target) in inputs.iter().take(N / 10) {
        let end = Timestamp::from_second(start.as_second() + target.as_secs() * 3)?;
        total += business_time(&cal, black_box(start), black_box(end))?;
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "business_time: {} computations in {:.3} s ({:.0} ns each) [total {total:#}]",
        N / 10,
        secs,
        secs * 1e9 / (N / 10) as f64
    );

    let t0 = Instant::now();
    let far = due_at(&cal, year_start, SignedDuration::from_mins(480 * 250 * 9))?;
    println!("nine business years: due {far} in {:?}", t0.elapsed());
    Ok(())
}
