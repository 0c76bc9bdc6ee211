//! Exact sums over a long bill, against an independent integer sum.

use super::*;

#[test]
fn two_million_amounts_of_ten_decimal_places_sum_exactly() {
    let mut input = TenPlaces::new(2_000_000);
    let mut c = Costs::default();
    c.read_csv(&mut input, "big.csv", NaiveDate::MIN, NaiveDate::MAX)
        .unwrap();
    let expected = crate::money::Decimal::from_i128_with_scale(input.units, 10);
    let ledger: crate::money::Decimal = c.ledger.spend().map(|s| s.amount).sum();
    assert_eq!(ledger, expected, "the month's spend, to the last digit");
    let resources: crate::money::Decimal = c.by_resource.values().map(|r| r.cost).sum();
    assert_eq!(resources, expected, "per resource, to the last digit");
    assert_eq!(
        crate::money::cents(ledger),
        crate::money::cents(expected),
        "and so to the cent"
    );
    assert_eq!(c.rows, 2_000_000);
}

/// Two million lines whose costs have ten decimal places, made as they are
/// read; the sum the test keeps itself is in integer units of 1e-10.
struct TenPlaces {
    left: u32,
    state: u64,
    pending: Vec<u8>,
    at: usize,
    units: i128,
}

impl TenPlaces {
    fn new(lines: u32) -> TenPlaces {
        TenPlaces {
            left: lines,
            state: 0x9E37_79B9_7F4A_7C15,
            pending: super::tests::HOSTILE_HEADER.as_bytes().to_vec(),
            at: 0,
            units: 0,
        }
    }

    /// The next line: up to 1,000.0000000000, a tenth of them negative.
    fn line(&mut self) -> String {
        self.state = self
            .state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = self.state >> 11;
        let mut units = i128::from(r % 10_000_000_000_000);
        if r.is_multiple_of(10) {
            units = -units;
        }
        self.units += units;
        let sign = if units < 0 { "-" } else { "" };
        let (whole, frac) = (units.abs() / 10_000_000_000, units.abs() % 10_000_000_000);
        format!(
            "i-{},2026-02-03T00:00:00Z,{sign}{whole}.{frac:010},Usage,USD\n",
            r % 1000
        )
    }
}

impl std::io::Read for TenPlaces {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.pending.len() {
            if self.left == 0 {
                return Ok(0);
            }
            self.left -= 1;
            self.pending = self.line().into_bytes();
            self.at = 0;
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
