//! Application scale (应用规模, SPEC §6) and quotes for a prospective client: the scale is
//! PCs × 1 + Σ other devices × their type's coefficient; it picks the recommended pricing model,
//! and the provider's price list gives the monthly price under each model.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Money;

/// Scale at or below which per-visit pricing is recommended.
pub const PER_VISIT_MAX: Decimal = Decimal::from_parts(15, 0, 0, false, 0);
/// Scale at or below which monthly-with-cap pricing is recommended (above: unlimited/resident).
pub const CAPPED_MAX: Decimal = Decimal::from_parts(50, 0, 0, false, 0);
/// One resident engineer covers up to this scale.
pub const SCALE_PER_RESIDENT: Decimal = Decimal::from_parts(100, 0, 0, false, 0);

/// Devices of one type and that type's coefficient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeCount {
    /// Asset type code, e.g. `desktop`.
    pub asset_type: String,
    /// How many devices.
    pub count: u32,
    /// The type's scale coefficient (PCs are 1).
    pub coefficient: Decimal,
    /// Visit category of the type: pc, network, peripheral, server.
    #[serde(default)]
    pub category: String,
}

impl TypeCount {
    /// count × coefficient.
    pub fn weighted(&self) -> Decimal {
        Decimal::from(self.count) * self.coefficient
    }
}

/// The application scale of an inventory: Σ count × coefficient.
pub fn application_scale(inventory: &[TypeCount]) -> Decimal {
    inventory
        .iter()
        .map(TypeCount::weighted)
        .sum::<Decimal>()
        .normalize()
}

/// What the scale recommends (SPEC §6 thresholds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recommendation {
    /// Scale ≤ 15: pay per visit.
    PerVisit,
    /// 15 < scale ≤ 50: monthly fee with a visit cap.
    MonthlyCapped,
    /// Scale > 50: monthly unlimited, or a resident engineer.
    MonthlyUnlimited,
}

impl Recommendation {
    /// The pricing-model name the contracts use.
    pub fn model(self) -> &'static str {
        match self {
            Recommendation::PerVisit => "per_visit",
            Recommendation::MonthlyCapped => "monthly_capped",
            Recommendation::MonthlyUnlimited => "monthly_unlimited",
        }
    }
}

/// The recommended model for a scale.
pub fn recommend(scale: Decimal) -> Recommendation {
    if scale <= PER_VISIT_MAX {
        Recommendation::PerVisit
    } else if scale <= CAPPED_MAX {
        Recommendation::MonthlyCapped
    } else {
        Recommendation::MonthlyUnlimited
    }
}

/// Resident engineers a scale needs: one per 100 (at least one).
pub fn residents_needed(scale: Decimal) -> u32 {
    use rust_decimal::prelude::ToPrimitive;
    (scale / SCALE_PER_RESIDENT)
        .ceil()
        .to_u32()
        .unwrap_or(u32::MAX)
        .max(1)
}

/// One band of the monthly price list: scales up to `max_scale` (inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScaleBand {
    /// Upper bound of the band's scale.
    pub max_scale: Decimal,
    /// Monthly fee with a visit cap.
    pub capped_fee: Money,
    /// Visits included in the capped fee.
    pub visit_cap: u32,
    /// Monthly fee without a cap.
    pub unlimited_fee: Money,
}

/// The provider's price list for quotes (provider configuration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriceList {
    /// Per-visit rates by category: pc, network, peripheral, server.
    pub visit_rates: std::collections::BTreeMap<String, Money>,
    /// Expected on-site visits per month for each unit of scale, to price the per-visit model.
    pub visits_per_scale_unit: Decimal,
    /// Monthly fees by scale band, ascending; scales beyond the last band use the last band's
    /// fee pro rata.
    pub bands: Vec<ScaleBand>,
    /// Monthly price per device, by asset type.
    pub device_prices: std::collections::BTreeMap<String, Money>,
    /// A resident engineer's day rate.
    pub resident_day_rate: Money,
    /// Resident days per engineer and month in a quote.
    pub resident_days_per_month: u32,
    /// Fee for an emergency visit (quoted for information).
    pub emergency_fee: Money,
}

impl Default for PriceList {
    fn default() -> PriceList {
        let m = Money::from_yuan;
        PriceList {
            visit_rates: [
                ("pc", m(200)),
                ("network", m(300)),
                ("peripheral", m(150)),
                ("server", m(500)),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
            visits_per_scale_unit: Decimal::new(1, 1),
            bands: vec![
                ScaleBand {
                    max_scale: Decimal::from(15),
                    capped_fee: m(1500),
                    visit_cap: 2,
                    unlimited_fee: m(2500),
                },
                ScaleBand {
                    max_scale: Decimal::from(30),
                    capped_fee: m(2500),
                    visit_cap: 3,
                    unlimited_fee: m(4000),
                },
                ScaleBand {
                    max_scale: Decimal::from(50),
                    capped_fee: m(3000),
                    visit_cap: 4,
                    unlimited_fee: m(5500),
                },
                ScaleBand {
                    max_scale: Decimal::from(100),
                    capped_fee: m(5000),
                    visit_cap: 6,
                    unlimited_fee: m(8500),
                },
            ],
            device_prices: [
                ("desktop", m(30)),
                ("laptop", m(30)),
                ("printer", m(20)),
                ("scanner", m(20)),
                ("network", m(50)),
                ("server", m(300)),
                ("storage", m(300)),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
            resident_day_rate: m(800),
            resident_days_per_month: 8,
            emergency_fee: m(100),
        }
    }
}

/// The monthly price of one pricing model in a quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteOption {
    /// Pricing model name.
    pub model: String,
    /// Monthly price, rounded half-up to the cent.
    pub monthly_price: Money,
    /// How it was computed.
    pub note: String,
    /// The model the scale recommends.
    pub recommended: bool,
}

/// A quote: the scale, the recommendation and the price under each model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    /// Application scale of the inventory.
    pub scale: Decimal,
    /// The recommended model.
    pub recommended: Recommendation,
    /// Resident engineers the scale needs.
    pub residents: u32,
    /// Every model's monthly price.
    pub options: Vec<QuoteOption>,
}

fn band_for(list: &PriceList, scale: Decimal) -> Option<(&ScaleBand, Decimal)> {
    let last = list.bands.last()?;
    match list.bands.iter().find(|b| scale <= b.max_scale) {
        Some(b) => Some((b, Decimal::ONE)),
        // Beyond the last band: its fee grows with the scale.
        None if last.max_scale > Decimal::ZERO => Some((last, scale / last.max_scale)),
        None => None,
    }
}

/// Prices an inventory under every model of the price list.
pub fn quote(list: &PriceList, inventory: &[TypeCount]) -> Quote {
    let scale = application_scale(inventory);
    let recommended = recommend(scale);
    let residents = residents_needed(scale);
    let money = |d: Decimal| Money::new(d).round_cent();
    let mut options = Vec::new();

    // Per visit: expected visits per category (weighted scale × visits per unit) × its rate.
    let mut visits_total = Decimal::ZERO;
    let mut expected_visits = Decimal::ZERO;
    for t in inventory {
        let visits = t.weighted() * list.visits_per_scale_unit;
        expected_visits += visits;
        let rate = list
            .visit_rates
            .get(&t.category)
            .or_else(|| list.visit_rates.get("pc"))
            .map_or(Decimal::ZERO, |m| m.amount());
        visits_total += visits * rate;
    }
    options.push(QuoteOption {
        model: "per_visit".into(),
        monthly_price: money(visits_total),
        note: format!(
            "≈ {} visits/month × rate of their category",
            expected_visits.round_dp(1).normalize()
        ),
        recommended: recommended == Recommendation::PerVisit,
    });
    if let Some((band, factor)) = band_for(list, scale) {
        options.push(QuoteOption {
            model: "monthly_capped".into(),
            monthly_price: money(band.capped_fee.amount() * factor),
            note: format!("{} visits included", band.visit_cap),
            recommended: recommended == Recommendation::MonthlyCapped,
        });
        options.push(QuoteOption {
            model: "monthly_unlimited".into(),
            monthly_price: money(band.unlimited_fee.amount() * factor),
            note: "unlimited visits".into(),
            recommended: recommended == Recommendation::MonthlyUnlimited,
        });
    }
    options.push(QuoteOption {
        model: "resident".into(),
        monthly_price: money(
            list.resident_day_rate.amount()
                * Decimal::from(list.resident_days_per_month)
                * Decimal::from(residents),
        ),
        note: format!(
            "{residents} engineer(s) × {} days × day rate",
            list.resident_days_per_month
        ),
        recommended: false,
    });
    let devices: Decimal = inventory
        .iter()
        .map(|t| {
            Decimal::from(t.count)
                * list
                    .device_prices
                    .get(&t.asset_type)
                    .map_or(Decimal::ZERO, |m| m.amount())
        })
        .sum();
    options.push(QuoteOption {
        model: "per_device".into(),
        monthly_price: money(devices),
        note: "devices × monthly price of their type".into(),
        recommended: false,
    });
    Quote {
        scale,
        recommended,
        residents,
        options,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(asset_type: &str, count: u32, coefficient: &str, category: &str) -> TypeCount {
        TypeCount {
            asset_type: asset_type.into(),
            count,
            coefficient: coefficient.parse().unwrap_or_default(),
            category: category.into(),
        }
    }

    #[test]
    fn spec_defaults_give_the_scale() {
        // 20 PCs + 2 printers × 0.5 + 1 switch × 2 + 1 server × 5 = 28.
        let inv = [
            t("desktop", 12, "1", "pc"),
            t("laptop", 8, "1", "pc"),
            t("printer", 2, "0.5", "peripheral"),
            t("network", 1, "2", "network"),
            t("server", 1, "5", "server"),
        ];
        assert_eq!(application_scale(&inv), Decimal::from(28));
        assert_eq!(recommend(Decimal::from(28)), Recommendation::MonthlyCapped);
    }

    #[test]
    fn thresholds() {
        assert_eq!(recommend(Decimal::from(15)), Recommendation::PerVisit);
        assert_eq!(
            recommend("15.5".parse().unwrap_or_default()),
            Recommendation::MonthlyCapped
        );
        assert_eq!(recommend(Decimal::from(50)), Recommendation::MonthlyCapped);
        assert_eq!(
            recommend(Decimal::from(51)),
            Recommendation::MonthlyUnlimited
        );
        assert_eq!(residents_needed(Decimal::from(100)), 1);
        assert_eq!(residents_needed(Decimal::from(101)), 2);
        assert_eq!(residents_needed(Decimal::ZERO), 1);
    }

    #[test]
    fn quote_prices_every_model() {
        let inv = [t("desktop", 40, "1", "pc"), t("server", 2, "5", "server")];
        let q = quote(&PriceList::default(), &inv);
        assert_eq!(q.scale, Decimal::from(50));
        assert_eq!(q.recommended, Recommendation::MonthlyCapped);
        let price = |m: &str| {
            q.options
                .iter()
                .find(|o| o.model == m)
                .map(|o| o.monthly_price.to_string())
                .unwrap_or_default()
        };
        // 4 PC visits × 200 + 1 server visit × 500.
        assert_eq!(price("per_visit"), "1300.00");
        assert_eq!(price("monthly_capped"), "3000.00");
        assert_eq!(price("monthly_unlimited"), "5500.00");
        assert_eq!(price("resident"), "6400.00");
        assert_eq!(price("per_device"), "1800.00");
        assert_eq!(q.options.iter().filter(|o| o.recommended).count(), 1);
    }

    proptest! {
        /// The scale is additive over inventories and each PC adds exactly 1.
        #[test]
        fn scale_is_additive(a in proptest::collection::vec((0u32..500, 0u32..40), 0..8),
                             b in proptest::collection::vec((0u32..500, 0u32..40), 0..8)) {
            let inv = |v: &[(u32, u32)]| -> Vec<TypeCount> {
                v.iter().map(|(n, c)| TypeCount {
                    asset_type: "x".into(), count: *n, coefficient: Decimal::new(i64::from(*c), 1),
                    category: "pc".into(),
                }).collect()
            };
            let (ia, ib) = (inv(&a), inv(&b));
            let mut both = ia.clone();
            both.extend(ib.clone());
            prop_assert_eq!(application_scale(&both), application_scale(&ia) + application_scale(&ib));
            let mut plus_pc = ia.clone();
            plus_pc.push(TypeCount { asset_type: "desktop".into(), count: 1, coefficient: Decimal::ONE, category: "pc".into() });
            prop_assert_eq!(application_scale(&plus_pc), application_scale(&ia) + Decimal::ONE);
        }

        /// More devices never lower the scale, and the recommendation only moves up the ladder.
        #[test]
        fn recommendation_is_monotonic(n in 0u32..200, extra in 0u32..200) {
            let s1 = application_scale(&[TypeCount { asset_type: "desktop".into(), count: n, coefficient: Decimal::ONE, category: "pc".into() }]);
            let s2 = application_scale(&[TypeCount { asset_type: "desktop".into(), count: n + extra, coefficient: Decimal::ONE, category: "pc".into() }]);
            prop_assert!(s2 >= s1);
            let rank = |r: Recommendation| match r { Recommendation::PerVisit => 0, Recommendation::MonthlyCapped => 1, Recommendation::MonthlyUnlimited => 2 };
            prop_assert!(rank(recommend(s2)) >= rank(recommend(s1)));
        }
    }
}
