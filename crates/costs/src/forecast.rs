//! Month-end and next-month cost forecasts from a scope's daily cost.
//!
//! A forecast is the cost to date plus a predicted remainder. Two models predict the remainder:
//!
//! - **Holt-Winters** ([`HoltWinters`]): additive level, damped additive trend and a weekly
//!   season (m = 7), in the error-correction form of ETS(A,Ad,A) (Hyndman et al., *Forecasting
//!   with Exponential Smoothing*, 2008, ch. 2 and 6). The first two weeks initialize the state;
//!   the smoothing parameters are the point of a fixed grid ([`HoltWintersParams::GRID`]) with
//!   the smallest sum of squared one-step-ahead errors after those two weeks.
//! - **Naive**: the last seven days' run rate, their mean, for every day ahead.
//!
//! [`backtest`] scores both on a rolling origin and [`choose`] takes the one with the lower MAPE,
//! or the naive model when the series is too short to tell (see [`MIN_HOLT_WINTERS_DAYS`] and
//! [`MIN_BACKTEST_ORIGINS`]). [`forecast`] does all three.
//!
//! Prediction intervals are normal intervals around the point forecast:
//!
//! - Holt-Winters: the error of a sum of predicted days is a linear combination of the future
//!   one-step errors, with the ETS(A,Ad,A) weights `c_j = alpha + beta (phi + … + phi^j) +
//!   gamma [j mod 7 = 0]` (Hyndman et al. 2008, table 6.2); its variance is the one-step error
//!   variance of the fit times the sum of the squared combined weights. It widens with the
//!   horizon, and the days of a sum are correlated through the shared state, which a
//!   `sqrt(n)` rule would miss.
//! - Naive: the days ahead are independent around the run rate with the standard deviation of the
//!   last 28 days, and the run rate itself is uncertain as the mean of seven such days:
//!   `var(sum of k days) = k s² + k² s² / 7`.
//!
//! Amounts are `f64`: a forecast is an estimate, and exact money stays in [`crate::money`].
//! Missing days count as 0, non-finite amounts are ignored, and dates on or after `today` are
//! not history. When the history has no negative day (no credits), no predicted day is negative
//! and no lower bound is below the cost to date.
//!
//! This module does no I/O and knows nothing of scopes or currencies; the caller passes one
//! scope's daily cost in one currency.

#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

use chrono::{Datelike, Days, Months, NaiveDate};

/// The length of the seasonal cycle: a week of daily costs.
pub const SEASON: usize = 7;

/// The fewest days of history Holt-Winters is fitted on: two weeks initialize the state and
/// the third is the least the parameters are fitted on. Shorter series use the naive model.
pub const MIN_HOLT_WINTERS_DAYS: usize = 3 * SEASON;

/// The fewest scored backtest origins with which [`choose`] trusts the comparison; with fewer,
/// it takes the naive model. Five rest-of-month origins are the last five days of a month.
pub const MIN_BACKTEST_ORIGINS: usize = 5;

/// The most backtest origins: the latest eight weeks of them. More add little to the comparison
/// and each costs a fit.
pub const MAX_BACKTEST_ORIGINS: usize = 8 * SEASON;

/// The most days of history a model is fitted on (26 weeks): older cost says little about next
/// month, and the fit is linear in the days.
pub const MAX_HISTORY_DAYS: usize = 26 * SEASON;

/// The days of the naive run rate.
const NAIVE_WINDOW: usize = SEASON;

/// The days whose spread is the naive model's daily standard deviation.
const NAIVE_SPREAD_WINDOW: usize = 4 * SEASON;

/// The most days before `today` that [`forecast`] reads: the history of the latest backtest
/// origins and the longest month after them.
const MAX_SERIES_DAYS: u64 = (MAX_HISTORY_DAYS + MAX_BACKTEST_ORIGINS + 31) as u64;

/// The prediction interval level used when the caller's is not in `(0, 1)`.
const DEFAULT_LEVEL: f64 = 0.9;

/// A backtest origin whose actual cost is smaller than this in magnitude has no percentage
/// error and is not scored.
const MIN_SCORED_ACTUAL: f64 = 1e-9;

/// A forecasting model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// Additive Holt-Winters with a weekly season ([`HoltWinters`]).
    HoltWinters,
    /// The last seven days' mean for every day ahead.
    Naive,
}

/// How far a backtest forecasts from each origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Horizon {
    /// This many days.
    Days(usize),
    /// The origin's day and the rest of its month, as [`forecast`]'s month-end does.
    RestOfMonth,
}

/// How the two models did on a rolling-origin backtest.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backtest {
    /// What each origin forecast.
    pub horizon: Horizon,
    /// The scored origins: days with at least [`MIN_HOLT_WINTERS_DAYS`] of history before them,
    /// the whole horizon after them in the series and a nonzero actual sum, the latest
    /// [`MAX_BACKTEST_ORIGINS`] of them.
    pub origins: usize,
    /// The mean absolute percentage error of Holt-Winters' horizon sums, in percent; `None`
    /// without origins.
    pub holt_winters_mape: Option<f64>,
    /// The same for the naive model.
    pub naive_mape: Option<f64>,
}

/// A month-end and next-month forecast, in the series' currency.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Forecast {
    /// The model that predicted the remainder.
    pub model: Model,
    /// Holt-Winters' fitted parameters, when it was the model.
    pub parameters: Option<HoltWintersParams>,
    /// The prediction interval's level, for example 0.9.
    pub level: f64,
    /// The cost of this month's days before `today`.
    pub to_date: f64,
    /// The cost to date plus the predicted cost from `today` to the end of the month.
    pub month_end: f64,
    /// The lower bound of the month-end interval.
    pub month_end_low: f64,
    /// The upper bound of the month-end interval.
    pub month_end_high: f64,
    /// The predicted cost of next month.
    pub next_month: f64,
    /// The lower bound of the next-month interval.
    pub next_month_low: f64,
    /// The upper bound of the next-month interval.
    pub next_month_high: f64,
    /// The rest-of-month backtest the model was chosen by.
    pub backtest: Backtest,
}

/// The smoothing parameters of Holt-Winters in error-correction form.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HoltWintersParams {
    /// The level's share of each one-step error.
    pub alpha: f64,
    /// The trend's share of each one-step error (at most `alpha`).
    pub beta: f64,
    /// The season's share of each one-step error (at most `1 - alpha`).
    pub gamma: f64,
    /// The trend's damping per day; 1 is the undamped trend.
    pub phi: f64,
}

impl HoltWintersParams {
    /// The grid [`HoltWinters::fit`] searches: `alpha × beta × gamma × phi`, skipping the points
    /// with `beta > alpha` or `gamma > 1 - alpha` (outside the usual admissible region).
    /// Damping is on the grid because a month-ahead forecast extrapolates a trend for up to 62
    /// days, and a trend learned from a few noisy days must not run away.
    pub const GRID: ([f64; 7], [f64; 4], [f64; 5], [f64; 3]) = (
        [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9],
        [0.0, 0.01, 0.03, 0.1],
        [0.0, 0.05, 0.1, 0.2, 0.4],
        [0.9, 0.98, 1.0],
    );

    /// Returns the admissible points of [`HoltWintersParams::GRID`].
    fn grid() -> Vec<HoltWintersParams> {
        let (alphas, betas, gammas, phis) = Self::GRID;
        let mut res = Vec::new();
        for alpha in alphas {
            for beta in betas.into_iter().filter(|beta| *beta <= alpha) {
                for gamma in gammas.into_iter().filter(|gamma| *gamma <= 1.0 - alpha) {
                    for phi in phis {
                        res.push(HoltWintersParams {
                            alpha,
                            beta,
                            gamma,
                            phi,
                        });
                    }
                }
            }
        }
        res
    }
}

/// The state of Holt-Winters after some days.
#[derive(Clone, Copy, Debug, PartialEq)]
struct State {
    level: f64,
    trend: f64,
    /// The seasonal term of day `t` is `season[t % SEASON]`.
    season: [f64; SEASON],
}

impl State {
    /// Returns the state before day 0 from the first two weeks: the level and trend from the
    /// weeks' means, the season from each day's departure from its week's mean.
    fn initial(values: &[f64]) -> Option<State> {
        let first = values.get(..SEASON)?;
        let second = values.get(SEASON..2 * SEASON)?;
        let first_mean = mean(first);
        let second_mean = mean(second);
        let trend = (second_mean - first_mean) / SEASON as f64;
        let mut season = [0.0; SEASON];
        for ((slot, a), b) in season.iter_mut().zip(first).zip(second) {
            *slot = ((a - first_mean) + (b - second_mean)) / 2.0;
        }
        let season_mean = mean(&season);
        for slot in &mut season {
            *slot -= season_mean;
        }
        // The first week's mean is the level of its middle day, (SEASON - 1) / 2; day -1 is
        // (SEASON + 1) / 2 days before it.
        let level = first_mean - trend * (SEASON as f64 + 1.0) / 2.0;
        Some(State {
            level,
            trend,
            season,
        })
    }

    fn season(&self, day: usize) -> f64 {
        self.season.get(day % SEASON).copied().unwrap_or(0.0)
    }

    /// Takes day `day`'s value and returns its one-step-ahead error.
    fn update(&mut self, params: &HoltWintersParams, day: usize, value: f64) -> f64 {
        let damped_trend = params.phi * self.trend;
        let error = value - (self.level + damped_trend + self.season(day));
        self.level += damped_trend + params.alpha * error;
        self.trend = damped_trend + params.beta * error;
        if let Some(slot) = self.season.get_mut(day % SEASON) {
            *slot += params.gamma * error;
        }
        error
    }
}

/// Additive Holt-Winters with a weekly season, fitted to a series of daily costs.
#[derive(Clone, Debug, PartialEq)]
pub struct HoltWinters {
    /// The fitted parameters.
    pub params: HoltWintersParams,
    /// The standard deviation of the one-step-ahead errors after the first two weeks.
    pub sigma: f64,
    state: State,
    n_days: usize,
}

impl HoltWinters {
    /// Fits the model to `values`, one per consecutive day: the grid point with the least sum
    /// of squared one-step-ahead errors after the first two weeks (the first in grid order on a
    /// tie). Returns `None` with fewer than [`MIN_HOLT_WINTERS_DAYS`] values or a non-finite one.
    pub fn fit(values: &[f64]) -> Option<HoltWinters> {
        if values.len() < MIN_HOLT_WINTERS_DAYS || values.iter().any(|value| !value.is_finite()) {
            return None;
        }
        let initial = State::initial(values)?;
        let mut best: Option<(f64, HoltWintersParams, State)> = None;
        for params in HoltWintersParams::grid() {
            let mut state = initial;
            let mut sse = 0.0;
            for (day, value) in values.iter().enumerate() {
                let error = state.update(&params, day, *value);
                if day >= 2 * SEASON {
                    sse += error * error;
                }
            }
            if sse.is_finite() && best.as_ref().is_none_or(|(best_sse, _, _)| sse < *best_sse) {
                best = Some((sse, params, state));
            }
        }
        let (sse, params, state) = best?;
        let n_errors = values.len() - 2 * SEASON;
        Some(HoltWinters {
            params,
            sigma: (sse / n_errors as f64).sqrt(),
            state,
            n_days: values.len(),
        })
    }

    /// Returns the point forecasts of the next `n_days` days.
    pub fn predict(&self, n_days: usize) -> Vec<f64> {
        let mut damping_sum = 0.0;
        let mut damping = 1.0;
        (1..=n_days)
            .map(|step| {
                damping *= self.params.phi;
                damping_sum += damping;
                self.state.level
                    + damping_sum * self.state.trend
                    + self.state.season(self.n_days + step - 1)
            })
            .collect()
    }

    /// Returns the standard deviation of the error of the sum of the forecasts of steps
    /// `first..=last` (step 1 is the day after the series).
    pub fn sum_sd(&self, first: usize, last: usize) -> f64 {
        if first == 0 || last < first {
            return 0.0;
        }
        let HoltWintersParams {
            alpha,
            beta,
            gamma,
            phi,
        } = self.params;
        // The weights of the ETS(A,Ad,A) h-step error: step k's error is the sum over i <= k of
        // weights[k - i] times the one-step error of step i.
        let mut weights = Vec::with_capacity(last);
        weights.push(1.0);
        let mut damping = 1.0;
        let mut damping_sum = 0.0;
        for lag in 1..last {
            damping *= phi;
            damping_sum += damping;
            let seasonal = if lag % SEASON == 0 { gamma } else { 0.0 };
            weights.push(alpha + beta * damping_sum + seasonal);
        }
        let mut variance_factor = 0.0;
        for innovation in 1..=last {
            let combined: f64 = (innovation.max(first)..=last)
                .filter_map(|step| weights.get(step - innovation))
                .sum();
            variance_factor += combined * combined;
        }
        self.sigma * variance_factor.sqrt()
    }
}

/// A model fitted to one history, ready to predict.
enum Fitted {
    HoltWinters(HoltWinters),
    Naive {
        rate: f64,
        sd: f64,
        n_rate_days: usize,
    },
}

impl Fitted {
    /// Fits `model` to `history`; Holt-Winters falls back to naive when it cannot be fitted.
    fn new(model: Model, history: &[f64]) -> Fitted {
        if model == Model::HoltWinters {
            if let Some(fitted) = HoltWinters::fit(history) {
                return Fitted::HoltWinters(fitted);
            }
        }
        let rate_days = tail(history, NAIVE_WINDOW);
        let spread_days = tail(history, NAIVE_SPREAD_WINDOW);
        Fitted::Naive {
            rate: mean(rate_days),
            sd: std_dev(spread_days),
            n_rate_days: rate_days.len(),
        }
    }

    fn model(&self) -> Model {
        match self {
            Fitted::HoltWinters(_) => Model::HoltWinters,
            Fitted::Naive { .. } => Model::Naive,
        }
    }

    fn predict(&self, n_days: usize) -> Vec<f64> {
        match self {
            Fitted::HoltWinters(fitted) => fitted.predict(n_days),
            Fitted::Naive { rate, .. } => vec![*rate; n_days],
        }
    }

    fn sum_sd(&self, first: usize, last: usize) -> f64 {
        match self {
            Fitted::HoltWinters(fitted) => fitted.sum_sd(first, last),
            Fitted::Naive {
                sd, n_rate_days, ..
            } => {
                if first == 0 || last < first || *n_rate_days == 0 {
                    return 0.0;
                }
                let n_days = (last - first + 1) as f64;
                let variance = n_days * sd * sd + n_days * n_days * sd * sd / *n_rate_days as f64;
                variance.sqrt()
            }
        }
    }
}

/// A predicted sum and its interval.
struct Prediction {
    point: f64,
    low: f64,
    high: f64,
}

/// Predicts the sums of steps `1..=split` and `split + 1..=n_days` after `history`.
/// With no negative day in the history, no predicted day is negative and no bound is below 0.
fn predict_sums(
    fitted: &Fitted,
    history: &[f64],
    split: usize,
    n_days: usize,
    z: f64,
) -> [Prediction; 2] {
    let non_negative = history.iter().all(|value| *value >= 0.0);
    let floor = |value: f64| if non_negative { value.max(0.0) } else { value };
    let days: Vec<f64> = fitted.predict(n_days).into_iter().map(floor).collect();
    let sum_of = |first: usize, last: usize| -> Prediction {
        let point = days
            .iter()
            .take(last)
            .skip(first.saturating_sub(1))
            .fold(0.0, |sum, day| sum + day);
        let half_width = z * fitted.sum_sd(first, last);
        Prediction {
            point,
            low: floor(point - half_width),
            high: point + half_width,
        }
    };
    [sum_of(1, split), sum_of(split + 1, n_days)]
}

/// Returns the month-end and next-month forecast for `today` from `daily`, the scope's cost per
/// day, with prediction intervals at `level` (0.9 when it is not in `(0, 1)`).
///
/// The days before `today` (at most the last [`MAX_HISTORY_DAYS`] of them, from the first date
/// in `daily`) are the history; `today` is the first day whose cost is not yet complete, and is
/// predicted. Dates on or after `today` are ignored, duplicates add up, and missing days count
/// as 0. The model is [`choose`]'s pick on a rest-of-month [`backtest`] of the history.
pub fn forecast(daily: &[(NaiveDate, f64)], today: NaiveDate, level: f64) -> Forecast {
    let level = if level > 0.0 && level < 1.0 {
        level
    } else {
        DEFAULT_LEVEL
    };
    let z = normal_quantile((1.0 + level) / 2.0);
    let earliest = today
        .checked_sub_days(Days::new(MAX_SERIES_DAYS))
        .unwrap_or(NaiveDate::MIN);
    let start = daily
        .iter()
        .map(|(day, _)| *day)
        .filter(|day| *day >= earliest && *day < today)
        .min()
        .unwrap_or(today);
    let values = dense(daily, start, today);
    let backtest = backtest_dense(start, &values, Horizon::RestOfMonth);
    let history = tail(&values, MAX_HISTORY_DAYS);
    let fitted = Fitted::new(choose(&backtest), history);
    let model = fitted.model();
    let parameters = match &fitted {
        Fitted::HoltWinters(fitted) => Some(fitted.params),
        Fitted::Naive { .. } => None,
    };

    let month_start = today.with_day(1).unwrap_or(today);
    let next_month_start = month_start
        .checked_add_months(Months::new(1))
        .unwrap_or(today);
    let after_next_month = month_start
        .checked_add_months(Months::new(2))
        .unwrap_or(next_month_start);
    // A fold from +0.0: `sum` of no days is -0.0.
    let to_date = values
        .iter()
        .zip(day_iter(start))
        .filter(|(_, day)| *day >= month_start)
        .fold(0.0, |sum, (value, _)| sum + value);
    let rest_of_month = days_between(today, next_month_start);
    let n_days = days_between(today, after_next_month);
    let [remainder, next_month] = predict_sums(&fitted, history, rest_of_month, n_days, z);
    Forecast {
        model,
        parameters,
        level,
        to_date,
        month_end: to_date + remainder.point,
        month_end_low: to_date + remainder.low,
        month_end_high: to_date + remainder.high,
        next_month: next_month.point,
        next_month_low: next_month.low,
        next_month_high: next_month.high,
        backtest,
    }
}

/// Returns Holt-Winters' and the naive model's backtest on `daily` (missing days count as 0,
/// duplicates add up, non-finite amounts are ignored).
///
/// Every day with at least [`MIN_HOLT_WINTERS_DAYS`] days before it and the whole horizon after
/// it in the series is an origin; the latest [`MAX_BACKTEST_ORIGINS`] are scored. At each, both
/// models are fitted to the days before it (at most [`MAX_HISTORY_DAYS`]) and predict the sum of
/// the horizon's days; the absolute percentage error is `|predicted - actual| / |actual|`.
/// Origins whose actual sum is 0 are skipped. Percentage errors of sums rather than of days keep
/// quiet days (weekends, a service that idles) from dominating the mean.
pub fn backtest(daily: &[(NaiveDate, f64)], horizon: Horizon) -> Backtest {
    let start = daily.iter().map(|(day, _)| *day).min();
    let end = daily.iter().map(|(day, _)| *day).max();
    let (Some(start), Some(end)) = (start, end) else {
        return backtest_dense(NaiveDate::MIN, &[], horizon);
    };
    let end = end.succ_opt().unwrap_or(end);
    backtest_dense(start, &dense(daily, start, end), horizon)
}

/// Returns the model to use after `backtest`: Holt-Winters when it had at least
/// [`MIN_BACKTEST_ORIGINS`] origins and a strictly lower MAPE, otherwise the naive model (the
/// simpler model wins a tie and an untested comparison).
pub fn choose(backtest: &Backtest) -> Model {
    match (backtest.holt_winters_mape, backtest.naive_mape) {
        (Some(holt_winters), Some(naive))
            if backtest.origins >= MIN_BACKTEST_ORIGINS && holt_winters < naive =>
        {
            Model::HoltWinters
        }
        _ => Model::Naive,
    }
}

/// The backtest of `values`, one per day from `start`.
fn backtest_dense(start: NaiveDate, values: &[f64], horizon: Horizon) -> Backtest {
    let horizon_end = |origin: usize| -> Option<usize> {
        let end = match horizon {
            Horizon::Days(0) => return None,
            Horizon::Days(n_days) => origin.checked_add(n_days)?,
            Horizon::RestOfMonth => {
                let day = start.checked_add_days(Days::new(origin as u64))?;
                let next_month = day.with_day(1)?.checked_add_months(Months::new(1))?;
                origin + days_between(day, next_month)
            }
        };
        (end <= values.len()).then_some(end)
    };
    let origins: Vec<(usize, usize)> = (MIN_HOLT_WINTERS_DAYS..values.len())
        .filter_map(|origin| Some((origin, horizon_end(origin)?)))
        .collect();
    let mut n_scored = 0usize;
    let mut holt_winters_sum = 0.0;
    let mut naive_sum = 0.0;
    for (origin, end) in tail(&origins, MAX_BACKTEST_ORIGINS) {
        let actual: f64 = values.get(*origin..*end).unwrap_or_default().iter().sum();
        if actual.abs() < MIN_SCORED_ACTUAL {
            continue;
        }
        let history = tail(values.get(..*origin).unwrap_or_default(), MAX_HISTORY_DAYS);
        let n_days = end - origin;
        let error = |model: Model| {
            let [predicted, _] =
                predict_sums(&Fitted::new(model, history), history, n_days, n_days, 0.0);
            (predicted.point - actual).abs() / actual.abs()
        };
        holt_winters_sum += error(Model::HoltWinters);
        naive_sum += error(Model::Naive);
        n_scored += 1;
    }
    let mape = |sum: f64| (n_scored > 0).then(|| 100.0 * sum / n_scored as f64);
    Backtest {
        horizon,
        origins: n_scored,
        holt_winters_mape: mape(holt_winters_sum),
        naive_mape: mape(naive_sum),
    }
}

/// Returns one value per day of `start..end`: the sum of `daily`'s finite amounts on that day.
fn dense(daily: &[(NaiveDate, f64)], start: NaiveDate, end: NaiveDate) -> Vec<f64> {
    let mut values = vec![0.0; days_between(start, end)];
    for (day, amount) in daily {
        if *day < start || !amount.is_finite() {
            continue;
        }
        if let Some(slot) = values.get_mut(days_between(start, *day)) {
            *slot += amount;
        }
    }
    values
}

/// Returns the days from `start` on.
fn day_iter(start: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    start.iter_days()
}

/// Returns the number of days from `from` to `to`, 0 if `to` is not after `from`.
fn days_between(from: NaiveDate, to: NaiveDate) -> usize {
    usize::try_from((to - from).num_days()).unwrap_or(0)
}

/// Returns the last `n` items of `items` (all of them if there are fewer).
fn tail<T>(items: &[T], n: usize) -> &[T] {
    items.get(items.len().saturating_sub(n)..).unwrap_or(items)
}

/// Returns the mean of `values`, 0 for none.
fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.iter().sum::<f64>() / values.len() as f64
}

/// Returns the population standard deviation of `values`, 0 for none.
fn std_dev(values: &[f64]) -> f64 {
    let center = mean(values);
    mean(
        &values
            .iter()
            .map(|value| (value - center).powi(2))
            .collect::<Vec<_>>(),
    )
    .sqrt()
}

/// Returns the standard normal quantile of `p` in `(0, 1)` (Acklam's rational approximation,
/// relative error below 1.2e-9); ±infinity at the ends.
pub(crate) fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    const P_LOW: f64 = 0.024_25;
    let horner = |coefficients: &[f64], x: f64| coefficients.iter().fold(0.0, |acc, c| acc * x + c);
    if p.is_nan() {
        return f64::NAN;
    }
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    if p < P_LOW {
        let q = (-2.0 * p.ln()).sqrt();
        horner(&C, q) / (horner(&D, q) * q + 1.0)
    } else if p <= 1.0 - P_LOW {
        let q = p - 0.5;
        let r = q * q;
        horner(&A, r) * q / (horner(&B, r) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -horner(&C, q) / (horner(&D, q) * q + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use chrono::{Datelike, Days, NaiveDate};
    use leitstand_finops::synth::{GenConfig, Generator};
    use leitstand_finops::{CostReader, CostRow, OnError, ReadOptions};
    use proptest::prelude::*;
    use rust_decimal::prelude::ToPrimitive;

    use crate::forecast::{
        backtest, choose, forecast, normal_quantile, Backtest, Forecast, HoltWinters, Horizon,
        Model, MIN_HOLT_WINTERS_DAYS,
    };

    fn day(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    type Daily = Vec<(NaiveDate, f64)>;

    fn series(start: NaiveDate, values: &[f64]) -> Daily {
        start.iter_days().zip(values.iter().copied()).collect()
    }

    /// A weekly-seasonal series: `base` times the weekday's factor, times 1 plus the day's noise.
    fn seasonal(base: f64, factors: [f64; 7], noise: &[f64]) -> Vec<f64> {
        noise
            .iter()
            .enumerate()
            .map(|(idx, noise)| base * factors[idx % 7] * (1.0 + noise))
            .collect()
    }

    fn close(got: f64, want: f64) -> bool {
        (got - want).abs() <= 1e-6 * want.abs().max(1.0)
    }

    fn check_bounds(res: &Forecast) {
        assert!(res.month_end_low <= res.month_end, "{res:?}");
        assert!(res.month_end <= res.month_end_high, "{res:?}");
        assert!(res.next_month_low <= res.next_month, "{res:?}");
        assert!(res.next_month <= res.next_month_high, "{res:?}");
    }

    #[test]
    fn normal_quantile_matches_tables() {
        assert!((normal_quantile(0.5)).abs() < 1e-9);
        assert!((normal_quantile(0.95) - 1.644_853_626_951).abs() < 1e-8);
        assert!((normal_quantile(0.975) - 1.959_963_984_540).abs() < 1e-8);
        assert!((normal_quantile(0.005) + 2.575_829_303_549).abs() < 1e-8);
        assert_eq!(normal_quantile(1.0), f64::INFINITY);
    }

    #[test]
    fn holt_winters_continues_a_clean_weekly_season_exactly() {
        let values = seasonal(100.0, [1.0, 1.1, 1.2, 1.0, 0.9, 0.6, 0.5], &[0.0; 35]);
        let fitted = HoltWinters::fit(&values).unwrap();
        let want = seasonal(100.0, [1.0, 1.1, 1.2, 1.0, 0.9, 0.6, 0.5], &[0.0; 49]);
        for (got, want) in fitted.predict(14).iter().zip(&want[35..]) {
            assert!(close(*got, *want), "got {got}, want {want}");
        }
        assert!(fitted.sigma < 1e-9);
    }

    #[test]
    fn holt_winters_interval_widens_with_the_horizon() {
        let noise: Vec<f64> = (0..60)
            .map(|idx| ((idx * 37 % 11) as f64 - 5.0) / 50.0)
            .collect();
        let values = seasonal(100.0, [1.0, 1.1, 1.2, 1.0, 0.9, 0.6, 0.5], &noise);
        let fitted = HoltWinters::fit(&values).unwrap();
        assert!(fitted.sigma > 0.0);
        let widths: Vec<f64> = (1..=40).map(|last| fitted.sum_sd(1, last)).collect();
        assert!(
            widths.windows(2).all(|pair| pair[0] < pair[1]),
            "{widths:?}"
        );
        // A sum of correlated days is wider than the sqrt(n) rule.
        assert!(fitted.sum_sd(1, 28) > fitted.sigma * 28f64.sqrt());
    }

    #[test]
    fn holt_winters_needs_three_weeks() {
        assert!(HoltWinters::fit(&[1.0; MIN_HOLT_WINTERS_DAYS - 1]).is_none());
        assert!(HoltWinters::fit(&[1.0; MIN_HOLT_WINTERS_DAYS]).is_some());
        let mut values = [1.0; MIN_HOLT_WINTERS_DAYS];
        values[3] = f64::NAN;
        assert!(HoltWinters::fit(&values).is_none());
    }

    #[test]
    fn short_series_falls_back_to_naive() {
        let daily = series(day(2024, 3, 1), &[10.0; 20]);
        let res = forecast(&daily, day(2024, 3, 21), 0.9);
        assert_eq!(res.model, Model::Naive);
        assert_eq!(res.backtest.origins, 0);
        assert!(close(res.to_date, 200.0));
        assert!(close(res.month_end, 310.0));
        assert!(close(res.next_month, 300.0));
    }

    #[test]
    fn empty_series_forecasts_zero() {
        let res = forecast(&[], day(2024, 3, 21), 0.9);
        assert_eq!(res.model, Model::Naive);
        assert_eq!(
            (
                res.to_date,
                res.month_end,
                res.month_end_high,
                res.next_month_high
            ),
            (0.0, 0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn missing_days_count_as_zero_and_later_days_are_ignored() {
        // Cost only on the 1st and 3rd; the 5th is on `today` and not history.
        let daily = [
            (day(2024, 3, 1), 30.0),
            (day(2024, 3, 3), 12.0),
            (day(2024, 3, 3), 2.0),
            (day(2024, 3, 5), 1000.0),
        ];
        let res = forecast(&daily, day(2024, 3, 5), 0.9);
        assert!(close(res.to_date, 44.0));
        // Naive: the four days' mean, 11 per day, for the 27 days left.
        assert!(close(res.month_end, 44.0 + 27.0 * 11.0), "{res:?}");
    }

    #[test]
    fn choose_prefers_naive_unless_holt_winters_wins_on_enough_origins() {
        let backtest = |origins, holt_winters, naive| Backtest {
            horizon: Horizon::RestOfMonth,
            origins,
            holt_winters_mape: holt_winters,
            naive_mape: naive,
        };
        assert_eq!(
            choose(&backtest(10, Some(5.0), Some(6.0))),
            Model::HoltWinters
        );
        assert_eq!(choose(&backtest(10, Some(6.0), Some(6.0))), Model::Naive);
        assert_eq!(choose(&backtest(4, Some(1.0), Some(6.0))), Model::Naive);
        assert_eq!(choose(&backtest(0, None, None)), Model::Naive);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn constant_series_forecasts_the_constant(
            amount in 0.0f64..1e6,
            n_days in 1usize..120,
            start_offset in 0u64..365,
            level in 0.5f64..0.99,
        ) {
            let start = day(2023, 1, 1) + Days::new(start_offset);
            let today = start + Days::new(n_days as u64);
            let res = forecast(&series(start, &vec![amount; n_days]), today, level);
            let month_start = today.with_day(1).unwrap();
            let days_before = (today - month_start.max(start)).num_days() as f64;
            let next_month = month_start.checked_add_months(chrono::Months::new(1)).unwrap();
            let after = month_start.checked_add_months(chrono::Months::new(2)).unwrap();
            let days_left = (next_month - today).num_days() as f64;
            let days_next = (after - next_month).num_days() as f64;
            prop_assert!(close(res.to_date, amount * days_before), "{res:?}");
            prop_assert!(close(res.month_end, amount * (days_before + days_left)), "{res:?}");
            prop_assert!(close(res.next_month, amount * days_next), "{res:?}");
            prop_assert!(close(res.month_end_low, res.month_end), "{res:?}");
            prop_assert!(close(res.month_end_high, res.month_end), "{res:?}");
            prop_assert!(close(res.next_month_high, res.next_month), "{res:?}");
            check_bounds(&res);
        }

        #[test]
        fn non_negative_series_never_forecasts_below_cost_to_date(
            values in proptest::collection::vec(0.0f64..1000.0, 0..90),
            today_offset in 0u64..100,
            level in 0.5f64..0.99,
        ) {
            let start = day(2024, 1, 10);
            let today = start + Days::new(today_offset);
            let res = forecast(&series(start, &values), today, level);
            let month_start = today.with_day(1).unwrap();
            let to_date: f64 = series(start, &values)
                .iter()
                .filter(|(date, _)| *date >= month_start && *date < today)
                .map(|(_, amount)| amount)
                .sum();
            prop_assert!(close(res.to_date, to_date), "{res:?}");
            prop_assert!(res.month_end_low >= res.to_date - 1e-9, "{res:?}");
            prop_assert!(res.next_month_low >= 0.0, "{res:?}");
            check_bounds(&res);
        }

        #[test]
        fn seasonal_series_with_credits_keeps_the_point_inside_the_interval(
            noise in proptest::collection::vec(-0.3f64..0.3, 21..80),
            credit in -500.0f64..0.0,
            today_offset in 0u64..10,
        ) {
            let start = day(2024, 2, 3);
            let mut values = seasonal(100.0, [1.0, 1.1, 1.2, 1.0, 0.9, 0.6, 0.5], &noise);
            values[0] = credit;
            let today = start + Days::new(noise.len() as u64 + today_offset);
            check_bounds(&forecast(&series(start, &values), today, 0.8));
        }
    }

    /// Returns the sum of `EffectiveCost` per charge day, in total and per sub-account.
    fn by_day<'a>(rows: impl Iterator<Item = &'a CostRow>) -> (Daily, BTreeMap<String, Daily>) {
        let mut total: BTreeMap<NaiveDate, f64> = BTreeMap::new();
        let mut by_sub_account: BTreeMap<String, BTreeMap<NaiveDate, f64>> = BTreeMap::new();
        for row in rows {
            let date = row.charge_period_start.date_naive();
            let amount = row.effective_cost.to_f64().unwrap();
            *total.entry(date).or_default() += amount;
            *by_sub_account
                .entry(row.sub_account_id.clone().unwrap_or_default())
                .or_default()
                .entry(date)
                .or_default() += amount;
        }
        (
            total.into_iter().collect(),
            by_sub_account
                .into_iter()
                .map(|(key, days)| (key, days.into_iter().collect()))
                .collect(),
        )
    }

    fn format_mape(mape: Option<f64>) -> String {
        mape.map_or_else(|| "-".to_owned(), |mape| format!("{mape:.2}%"))
    }

    fn report(name: &str, res: &Backtest) {
        println!(
            "{name}: {:?} origins={} holt_winters_mape={} naive_mape={} -> {:?}",
            res.horizon,
            res.origins,
            format_mape(res.holt_winters_mape),
            format_mape(res.naive_mape),
            choose(res)
        );
    }

    /// Holt-Winters against the run rate on the synthetic generator's daily cost: a weekly
    /// season (weekdays at 100%, Saturdays 70%, Sundays 60% except storage), ±10% noise per
    /// resource, and a tax row on the first of each month.
    #[test]
    fn synthetic_backtest_holt_winters_beats_naive() {
        let mut lines = Vec::new();
        for seed in [1u64, 2, 3] {
            let rows: Vec<CostRow> =
                Generator::new(GenConfig::daily(seed, day(2024, 1, 1), day(2024, 7, 1), 2))
                    .collect();
            let (total, by_sub_account) = by_day(rows.iter());
            for horizon in [Horizon::RestOfMonth, Horizon::Days(7), Horizon::Days(10)] {
                let res = backtest(&total, horizon);
                report(&format!("seed {seed} total"), &res);
                lines.push((seed, "total".to_owned(), res));
                for (sub_account, daily) in &by_sub_account {
                    let res = backtest(daily, horizon);
                    report(&format!("seed {seed} {sub_account}"), &res);
                    lines.push((seed, sub_account.clone(), res));
                }
            }
        }
        // The weekly season and ±10% noise per resource make Holt-Winters' smoothed level and
        // season beat a seven-day mean on every seed's total over 7 and 10 days, and on the mean
        // over sub-accounts for the rest of the month (where one seed's total does not: its
        // origins on the last days of a month forecast one or two noisy days).
        for (seed, name, res) in &lines {
            if name == "total" && res.horizon != Horizon::RestOfMonth {
                assert!(
                    res.holt_winters_mape < res.naive_mape,
                    "seed {seed}: {res:?}"
                );
            }
        }
        for seed in [1u64, 2, 3] {
            let rest_of_month: Vec<&Backtest> = lines
                .iter()
                .filter(|(line_seed, name, res)| {
                    *line_seed == seed && name != "total" && res.horizon == Horizon::RestOfMonth
                })
                .map(|(_, _, res)| res)
                .collect();
            let mean = |mape: fn(&Backtest) -> Option<f64>| {
                rest_of_month
                    .iter()
                    .map(|res| mape(res).unwrap())
                    .sum::<f64>()
                    / rest_of_month.len() as f64
            };
            let holt_winters = mean(|res| res.holt_winters_mape);
            let naive = mean(|res| res.naive_mape);
            println!("seed {seed} sub-account mean, rest of month: holt_winters_mape={holt_winters:.2}% naive_mape={naive:.2}%");
            assert!(holt_winters < naive, "seed {seed}");
        }
    }

    fn focus_sample() -> Vec<CostRow> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/focus/focus_1.0_sample_1000rows.csv");
        let options = ReadOptions {
            format: None,
            on_error: OnError::Collect { max_errors: 1000 },
        };
        CostReader::open(path, options)
            .unwrap()
            .map(|row| row.unwrap())
            .collect()
    }

    /// The FOCUS 1.0 sample: 30 days of September 2024 with a few cents to a few dollars a day.
    #[test]
    fn focus_sample_backtest() {
        let rows = focus_sample();
        let (total, by_sub_account) = by_day(rows.iter());
        println!("focus sample: {} rows, {} days", rows.len(), total.len());
        for horizon in [Horizon::RestOfMonth, Horizon::Days(7)] {
            report("focus total", &backtest(&total, horizon));
            // Most of the sample's sub-accounts have cost on a few days only; name those with
            // a scored origin.
            for (sub_account, daily) in &by_sub_account {
                let res = backtest(daily, horizon);
                if res.origins > 0 {
                    report(&format!("focus {sub_account}"), &res);
                }
            }
        }
        let res = forecast(&total, day(2024, 9, 30), 0.9);
        println!("focus forecast on 2024-09-30: {res:?}");
        let res = forecast(&total, day(2024, 10, 1), 0.9);
        println!("focus forecast on 2024-10-01: {res:?}");
    }
}
