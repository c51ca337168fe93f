use chrono::{DateTime, NaiveDateTime, Utc};
use datafusion::arrow::array::TimestampMicrosecondArray;

use super::Zone;
use super::functions::{Way, convert};

fn zone(name: &str) -> Zone {
    Zone::parse(name).expect("zone")
}

fn utc(text: &str) -> i64 {
    DateTime::parse_from_rfc3339(text)
        .expect("instant")
        .with_timezone(&Utc)
        .timestamp_micros()
}

fn wall(text: &str) -> i64 {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
        .expect("wall clock")
        .and_utc()
        .timestamp_micros()
}

/// `convert` of each value, as one batch.
fn run(way: Way, z: Zone, values: &[i64]) -> Vec<i64> {
    let array = TimestampMicrosecondArray::from(values.to_vec());
    convert(way, &array, z).expect("convert").values().to_vec()
}

#[test]
fn hand_worked_instants_land_in_the_zones_days() {
    // New York is UTC-4 until 2026-11-01 06:00Z (02:00 EDT): 03:30Z on
    // 1 November is 23:30 on 31 October there, October, not November.
    let ny = zone("America/New_York");
    assert_eq!(
        run(Way::ToLocal, ny, &[utc("2026-11-01T03:30:00Z")]),
        [wall("2026-10-31T23:30:00")]
    );
    // Kathmandu is UTC+05:45 all year: 18:15Z on 31 October is midnight
    // of 1 November, 18:14:59Z still October.
    let ktm = zone("Asia/Kathmandu");
    assert_eq!(
        run(
            Way::ToLocal,
            ktm,
            &[utc("2026-10-31T18:15:00Z"), utc("2026-10-31T18:14:59Z")]
        ),
        [wall("2026-11-01T00:00:00"), wall("2026-10-31T23:59:59")]
    );
    // Warsaw, 2026-03-29: at 01:00Z clocks jump from 02:00 CET (+1) to
    // 03:00 CEST (+2). Midnight is 23:00Z the day before, the next
    // midnight 22:00Z: the day has 23 hours, and 02:30 does not exist
    // (from_local gives the jump, 01:00Z).
    let waw = zone("Europe/Warsaw");
    let midnights = run(
        Way::FromLocal,
        waw,
        &[wall("2026-03-29T00:00:00"), wall("2026-03-30T00:00:00")],
    );
    assert_eq!(
        midnights,
        [utc("2026-03-28T23:00:00Z"), utc("2026-03-29T22:00:00Z")]
    );
    assert_eq!(midnights[1] - midnights[0], 23 * 3_600_000_000);
    assert_eq!(
        run(Way::FromLocal, waw, &[wall("2026-03-29T02:30:00")]),
        [utc("2026-03-29T01:00:00Z")]
    );
    // Warsaw, 2026-10-25: at 01:00Z clocks go back from 03:00 CEST to
    // 02:00 CET: 00:30Z and 01:30Z are both 02:30; from_local takes the
    // earlier. The day has 25 hours.
    assert_eq!(
        run(
            Way::ToLocal,
            waw,
            &[utc("2026-10-25T00:30:00Z"), utc("2026-10-25T01:30:00Z")]
        ),
        [wall("2026-10-25T02:30:00"), wall("2026-10-25T02:30:00")]
    );
    assert_eq!(
        run(Way::FromLocal, waw, &[wall("2026-10-25T02:30:00")]),
        [utc("2026-10-25T00:30:00Z")]
    );
    let day = run(
        Way::FromLocal,
        waw,
        &[wall("2026-10-25T00:00:00"), wall("2026-10-26T00:00:00")],
    );
    assert_eq!(day[1] - day[0], 25 * 3_600_000_000);
    // Lord Howe moves its clocks by 30 minutes: on 2026-10-04 at 02:00
    // (+10:30, 15:30Z the day before) to 02:30 (+11).
    let lh = zone("Australia/Lord_Howe");
    assert_eq!(
        run(
            Way::ToLocal,
            lh,
            &[utc("2026-10-03T15:29:59Z"), utc("2026-10-03T15:30:00Z")]
        ),
        [wall("2026-10-04T01:59:59"), wall("2026-10-04T02:30:00")]
    );
    assert_eq!(
        run(Way::FromLocal, lh, &[wall("2026-10-04T02:15:00")]),
        [utc("2026-10-03T15:30:00Z")]
    );
}

#[test]
fn kernels_equal_chrono_value_by_value_across_years_and_zones() {
    // A naive reference: chrono-tz for every value, against one batch
    // spanning 2019-2031 (so many offset changes fall inside it).
    let zones = [
        "America/New_York",
        "Europe/Warsaw",
        "Asia/Kathmandu",
        "Australia/Lord_Howe",
        "America/Sao_Paulo",
        "Pacific/Chatham",
        "UTC",
    ];
    let lo = utc("2019-01-01T00:00:00Z");
    let hi = utc("2031-01-01T00:00:00Z");
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut values = Vec::new();
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Whole seconds, plus some on the hour where changes happen.
        let v = lo + (seed % ((hi - lo) as u64 / 1_000_000)) as i64 * 1_000_000;
        values.push(if seed.is_multiple_of(5) {
            v - v % 3_600_000_000
        } else {
            v
        });
    }
    for name in zones {
        let z = zone(name);
        let local = run(Way::ToLocal, z, &values);
        for (v, l) in values.iter().zip(&local) {
            let t = DateTime::from_timestamp_micros(*v).expect("instant");
            assert_eq!(
                *l,
                z.local(t).and_utc().timestamp_micros(),
                "{name}: to_local({t})"
            );
        }
        let back = run(Way::FromLocal, z, &local);
        for (l, b) in local.iter().zip(&back) {
            let naive = DateTime::from_timestamp_micros(*l)
                .expect("wall")
                .naive_utc();
            assert_eq!(
                *b,
                z.instant(naive).timestamp_micros(),
                "{name}: from_local({naive})"
            );
        }
    }
}

#[test]
fn zone_names_are_iana_or_utc_and_the_rest_is_explained() {
    assert_eq!(zone("UTC"), Zone::UTC);
    assert_eq!(zone("utc"), Zone::UTC);
    assert_eq!(zone("Europe/Warsaw").name(), "Europe/Warsaw");
    let err = |text: &str| Zone::parse(text).expect_err(text).to_string();
    assert!(err("EST").contains("abbreviation"), "{}", err("EST"));
    assert!(err("CET").contains("abbreviation"), "{}", err("CET"));
    assert!(err("+05:30").contains("offset"), "{}", err("+05:30"));
    assert!(err("-5").contains("offset"), "{}", err("-5"));
    assert!(
        err("america/new_york").contains("did you mean America/New_York"),
        "{}",
        err("america/new_york")
    );
    for text in ["Mars/Olympus_Mons", "", "EST", "+5"] {
        assert!(err(text).contains("IANA time zone name"), "{}", err(text));
    }
}

#[test]
fn a_batch_spanning_centuries_is_converted_value_by_value() {
    // A placeholder year-1 date beside a real one: more than MAX_YEARS in
    // one batch takes the per-value path, with the same answers.
    let waw = zone("Europe/Warsaw");
    let values = [utc("0001-01-01T00:00:00Z"), utc("2026-10-25T00:30:00Z")];
    let local = run(Way::ToLocal, waw, &values);
    assert_eq!(local[1], wall("2026-10-25T02:30:00"));
    let first = DateTime::from_timestamp_micros(values[0]).expect("instant");
    assert_eq!(local[0], waw.local(first).and_utc().timestamp_micros());
    assert_eq!(run(Way::FromLocal, waw, &local)[1], values[1]);
}
