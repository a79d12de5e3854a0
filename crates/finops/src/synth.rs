//! A deterministic generator of synthetic FOCUS 1.2 cost rows, and writers of FOCUS 1.2 CSV and Parquet, for tests and benchmarks.
//!
//! [`Generator`] is an iterator of [`CostRow`]s over billing accounts (customers) of Azure and AWS, their sub-accounts (Azure subscriptions with GUID ids,
//! AWS accounts with 12 digits), and a fixed set of resources per sub-account: services and service categories, regions, ARM resource ids or ARNs,
//! and tags (`costCenter`, `project`, `environment`, `owner`; some resources carry only some of them, some none).
//! Every charge period (an hour or a day between [`GenConfig::start`] and [`GenConfig::end`]) yields one usage row per resource,
//! with a weekly seasonality (weekends are quieter, except for storage) and a little noise. On top of those:
//!
//! - Some sub-accounts have a commitment discount (an Azure reservation or an AWS savings plan). Half of their compute resources run under it:
//!   those rows are `Committed`, `Used`, billed at 0 and amortized into `EffectiveCost`. The commitment's monthly fee is a `Purchase` row on the first period of each month
//!   (billed, with `EffectiveCost` 0), and each day it leaves an `Unused` row.
//! - Each sub-account has a `Tax` row on the first period of each month, and some have a `Credit` (negative costs).
//!
//! The costs keep FOCUS's order, `ListCost >= ContractedCost >= EffectiveCost` (credits are negative and equal in all four), and have at most 10 decimal places.
//! The output depends only on [`GenConfig`]: the randomness is a SplitMix64 stream seeded per resource and period, so a row does not depend on the rows before it.
//! The generator holds its accounts and resources, never its rows: 10 million rows stream in constant memory.
//! [`Generator::totals`] sums what has been generated so far, per sub-account, so a test can compare an ingest against it.
//!
//! This module does not read files and is not a model of any provider's prices.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Datelike, Duration, NaiveDate, SecondsFormat, Utc, Weekday};
use rust_decimal::Decimal;

use crate::row::{
    ChargeCategory, ChargeFrequency, CommitmentDiscountCategory, CommitmentDiscountStatus, CostRow,
    PricingCategory, ServiceCategory,
};
use crate::spec::FocusVersion;
use crate::store::{AtomicWriter, StoreError};

/// The decimal places of generated costs.
const COST_DECIMALS: u32 = 10;

/// The cloud of a billing account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cloud {
    /// Microsoft Azure: subscriptions with GUID ids, ARM resource ids.
    Azure,
    /// Amazon Web Services: accounts with 12-digit ids, ARNs.
    Aws,
}

/// A sub-account: an Azure subscription or an AWS account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubAccount {
    /// `SubAccountId`: a GUID for Azure, 12 digits for AWS (not checked when given).
    pub id: String,
    /// `SubAccountName`.
    pub name: String,
}

/// A billing account (one customer's contract with one cloud) and its sub-accounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BillingAccount {
    /// `BillingAccountId`.
    pub id: String,
    /// `BillingAccountName`.
    pub name: String,
    /// The cloud.
    pub cloud: Cloud,
    /// `BillingCurrency`, an ISO 4217 code.
    pub currency: String,
    /// The sub-accounts.
    pub sub_accounts: Vec<SubAccount>,
}

/// Where the billing accounts come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Accounts {
    /// Generate this many billing accounts (about 60% Azure, 40% AWS), each with this many sub-accounts.
    Generate {
        /// The number of billing accounts.
        n_billing_accounts: usize,
        /// The number of sub-accounts of each.
        sub_accounts_per_billing_account: usize,
    },
    /// Use these billing accounts and sub-accounts, for example ones mapped onto a hierarchy.
    Given(Vec<BillingAccount>),
}

/// The length of a charge period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    /// One hour.
    Hourly,
    /// One day.
    Daily,
}

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenConfig {
    /// The seed: the same configuration always yields the same rows.
    pub seed: u64,
    /// The first day, inclusive (UTC).
    pub start: NaiveDate,
    /// The last day, exclusive (UTC).
    pub end: NaiveDate,
    /// The length of a charge period.
    pub granularity: Granularity,
    /// The billing accounts.
    pub accounts: Accounts,
    /// The number of resources of each sub-account.
    pub resources_per_sub_account: usize,
    /// Stop after this many rows, if set.
    pub max_rows: Option<u64>,
}

impl GenConfig {
    /// Returns a small configuration: `n_billing_accounts` billing accounts with 3 sub-accounts of 10 resources each, daily, for the days from `start` to `end`.
    pub fn daily(seed: u64, start: NaiveDate, end: NaiveDate, n_billing_accounts: usize) -> Self {
        GenConfig {
            seed,
            start,
            end,
            granularity: Granularity::Daily,
            accounts: Accounts::Generate {
                n_billing_accounts,
                sub_accounts_per_billing_account: 3,
            },
            resources_per_sub_account: 10,
            max_rows: None,
        }
    }
}

/// The sums of the generated rows of one sub-account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubAccountTotals {
    /// The number of rows.
    pub n_rows: u64,
    /// The sum of `BilledCost`.
    pub billed_cost: Decimal,
    /// The sum of `EffectiveCost`.
    pub effective_cost: Decimal,
}

/// The sums of the generated rows, per sub-account id (every generated row has one).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenTotals {
    /// The number of rows.
    pub n_rows: u64,
    /// The sums per `SubAccountId`.
    pub by_sub_account: BTreeMap<String, SubAccountTotals>,
}

impl GenTotals {
    /// Adds a row.
    pub fn add(&mut self, row: &CostRow) {
        self.n_rows += 1;
        let totals = self
            .by_sub_account
            .entry(row.sub_account_id.clone().unwrap_or_default())
            .or_default();
        totals.n_rows += 1;
        totals.billed_cost += row.billed_cost;
        totals.effective_cost += row.effective_cost;
    }

    /// Returns the sum of `BilledCost` over all sub-accounts.
    pub fn billed_cost(&self) -> Decimal {
        self.by_sub_account
            .values()
            .map(|totals| totals.billed_cost)
            .sum()
    }

    /// Returns the sum of `EffectiveCost` over all sub-accounts.
    pub fn effective_cost(&self) -> Decimal {
        self.by_sub_account
            .values()
            .map(|totals| totals.effective_cost)
            .sum()
    }
}

/// SplitMix64: a tiny, fast generator whose output is fixed forever by its seed (unlike `rand`'s `StdRng`, which may change between versions).
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    /// Returns a generator for one purpose, keyed by the seed and up to three numbers.
    fn keyed(seed: u64, a: u64, b: u64, c: u64) -> Rng {
        let mut rng = Rng(seed ^ 0x5851_f42d_4c95_7f2d);
        for part in [a, b, c] {
            rng.0 ^= part.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            rng.next_u64();
        }
        rng
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Returns a number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        self.next_u64() % n
    }

    /// Returns a number in `low..=high`.
    fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = u64::try_from(high.saturating_sub(low)).unwrap_or(0);
        low.saturating_add(i64::try_from(self.below(span.saturating_add(1))).unwrap_or(0))
    }

    /// Returns true with probability `percent` / 100.
    fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let len = u64::try_from(items.len()).ok()?;
        items.get(usize::try_from(self.below(len)).ok()?)
    }

    fn guid(&mut self) -> String {
        let high = self.next_u64();
        let low = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            high >> 32,
            (high >> 16) & 0xffff,
            high & 0xfff,
            0x8000 | ((low >> 48) & 0x3fff),
            low & 0xffff_ffff_ffff
        )
    }

    fn digits(&mut self, n_digits: usize) -> String {
        let mut text = String::with_capacity(n_digits);
        for digit_idx in 0..n_digits {
            let low = if digit_idx == 0 { 1 } else { 0 };
            let digit = u32::try_from(self.between(low, 9)).unwrap_or(0);
            text.push(char::from_digit(digit, 10).unwrap_or('0'));
        }
        text
    }
}

/// One service of the catalog.
#[derive(Clone, Copy, Debug)]
struct Service {
    name: &'static str,
    category: ServiceCategory,
    subcategory: &'static str,
    /// The ARM resource type (Azure) or the ARN service and resource type (AWS, `service:type`).
    resource_type: &'static str,
    unit: &'static str,
    /// The list unit price range, in millionths.
    price_micros: (i64, i64),
    /// The usage per hour range, in thousandths of a unit.
    quantity_millis: (i64, i64),
    sku_meter: &'static str,
    /// Compute that a commitment discount can cover.
    committable: bool,
    /// Usage that does not dip on weekends.
    steady: bool,
}

#[expect(clippy::too_many_arguments, reason = "one row of the service table")]
const fn service(
    name: &'static str,
    category: ServiceCategory,
    subcategory: &'static str,
    resource_type: &'static str,
    unit: &'static str,
    price_micros: (i64, i64),
    quantity_millis: (i64, i64),
    sku_meter: &'static str,
    committable: bool,
    steady: bool,
) -> Service {
    Service {
        name,
        category,
        subcategory,
        resource_type,
        unit,
        price_micros,
        quantity_millis,
        sku_meter,
        committable,
        steady,
    }
}

use ServiceCategory as Sc;

const AZURE_SERVICES: [Service; 8] = [
    service(
        "Virtual Machines",
        Sc::Compute,
        "Virtual Machines",
        "Microsoft.Compute/virtualMachines",
        "Hours",
        (40_000, 900_000),
        (1_000, 1_000),
        "D4s v5",
        true,
        false,
    ),
    service(
        "Azure Kubernetes Service",
        Sc::Compute,
        "Containers",
        "Microsoft.ContainerService/managedClusters",
        "Hours",
        (100_000, 400_000),
        (1_000, 3_000),
        "Standard",
        true,
        false,
    ),
    service(
        "Storage",
        Sc::Storage,
        "Object Storage",
        "Microsoft.Storage/storageAccounts",
        "GB/Month",
        (18_000, 45_000),
        (50_000, 2_000_000),
        "Hot LRS Data Stored",
        false,
        true,
    ),
    service(
        "SQL Database",
        Sc::Databases,
        "Relational Databases",
        "Microsoft.Sql/servers/databases",
        "Hours",
        (150_000, 1_200_000),
        (1_000, 1_000),
        "vCore",
        false,
        false,
    ),
    service(
        "Azure Monitor",
        Sc::ManagementAndGovernance,
        "Observability",
        "Microsoft.OperationalInsights/workspaces",
        "GB",
        (2_300_000, 2_760_000),
        (10, 900),
        "Analytics Logs Data Ingestion",
        false,
        false,
    ),
    service(
        "Virtual Network",
        Sc::Networking,
        "Network Connectivity",
        "Microsoft.Network/natGateways",
        "GB",
        (45_000, 45_000),
        (100, 20_000),
        "Data Processed",
        false,
        false,
    ),
    service(
        "Azure OpenAI",
        Sc::AiAndMachineLearning,
        "Generative AI",
        "Microsoft.CognitiveServices/accounts",
        "1K Tokens",
        (150, 10_000),
        (1_000, 400_000),
        "gpt-4o-mini Input Tokens",
        false,
        false,
    ),
    service(
        "Key Vault",
        Sc::Security,
        "Secret Management",
        "Microsoft.KeyVault/vaults",
        "10K Operations",
        (30_000, 30_000),
        (10, 2_000),
        "Operations",
        false,
        true,
    ),
];

const AWS_SERVICES: [Service; 8] = [
    service(
        "Amazon Elastic Compute Cloud",
        Sc::Compute,
        "Virtual Machines",
        "ec2:instance",
        "Hrs",
        (10_400, 1_536_000),
        (1_000, 1_000),
        "m7g.large",
        true,
        false,
    ),
    service(
        "Amazon Elastic Kubernetes Service",
        Sc::Compute,
        "Containers",
        "eks:cluster",
        "Hrs",
        (100_000, 100_000),
        (1_000, 1_000),
        "AmazonEKS-Hours:perCluster",
        true,
        false,
    ),
    service(
        "Amazon Simple Storage Service",
        Sc::Storage,
        "Object Storage",
        "s3:",
        "GB-Mo",
        (21_000, 23_000),
        (50_000, 5_000_000),
        "TimedStorage-ByteHrs",
        false,
        true,
    ),
    service(
        "Amazon Relational Database Service",
        Sc::Databases,
        "Relational Databases",
        "rds:db",
        "Hrs",
        (170_000, 2_100_000),
        (1_000, 1_000),
        "db.r6g.large",
        false,
        false,
    ),
    service(
        "Amazon DynamoDB",
        Sc::Databases,
        "NoSQL Databases",
        "dynamodb:table",
        "ReadCapacityUnit-Hrs",
        (130, 130),
        (5_000, 400_000),
        "ReadCapacityUnit-Hrs",
        false,
        false,
    ),
    service(
        "AWS Lambda",
        Sc::Compute,
        "Serverless Compute",
        "lambda:function",
        "Lambda-GB-Second",
        (16, 17),
        (1_000, 3_600_000),
        "Lambda-GB-Second",
        false,
        false,
    ),
    service(
        "Amazon CloudWatch",
        Sc::ManagementAndGovernance,
        "Observability",
        "logs:log-group",
        "GB",
        (500_000, 630_000),
        (10, 2_000),
        "DataProcessing-Bytes",
        false,
        false,
    ),
    service(
        "Amazon Virtual Private Cloud",
        Sc::Networking,
        "Network Connectivity",
        "ec2:natgateway",
        "GB",
        (45_000, 52_000),
        (100, 50_000),
        "NatGateway-Bytes",
        false,
        false,
    ),
];

const AZURE_REGIONS: [(&str, &str); 5] = [
    ("westeurope", "West Europe"),
    ("northeurope", "North Europe"),
    ("germanywestcentral", "Germany West Central"),
    ("swedencentral", "Sweden Central"),
    ("eastus", "East US"),
];

const AWS_REGIONS: [(&str, &str); 4] = [
    ("eu-central-1", "Europe (Frankfurt)"),
    ("eu-west-1", "Europe (Ireland)"),
    ("us-east-1", "US East (N. Virginia)"),
    ("us-west-2", "US West (Oregon)"),
];

const COMPANIES: [&str; 12] = [
    "Contoso",
    "Fabrikam",
    "Northwind",
    "Tailspin",
    "Wingtip",
    "Adatum",
    "Litware",
    "Proseware",
    "Woodgrove",
    "Lamna",
    "Trey Research",
    "Alpine Ski House",
];

const PROJECTS: [&str; 8] = [
    "atlas", "borealis", "cobalt", "delta", "ember", "falcon", "granite", "helix",
];

const ENVIRONMENTS: [&str; 4] = ["prod", "dev", "test", "staging"];

const OWNERS: [&str; 6] = ["ops", "platform", "data", "web", "finance", "security"];

/// One resource: what every usage row of it shares.
#[derive(Clone, Debug)]
struct Resource {
    account_idx: usize,
    sub_account_idx: usize,
    service: Service,
    region: (&'static str, &'static str),
    resource_id: String,
    resource_name: String,
    tags: Vec<(String, String)>,
    list_price: Decimal,
    quantity_millis: (i64, i64),
    /// The commitment discount the resource runs under, by index.
    commitment_idx: Option<usize>,
    /// The key of the resource's randomness.
    key: u64,
}

/// A commitment discount of one sub-account.
#[derive(Clone, Debug)]
struct Commitment {
    account_idx: usize,
    sub_account_idx: usize,
    id: String,
    name: String,
    category: CommitmentDiscountCategory,
    kind: &'static str,
    service: Service,
    region: (&'static str, &'static str),
    /// The monthly fee.
    monthly_fee: Decimal,
}

/// The negotiated discount of a billing account, as the contracted share of the list price.
fn contracted_share(account_idx: usize, seed: u64) -> Decimal {
    let mut rng = Rng::keyed(
        seed,
        0xc0,
        u64::try_from(account_idx).unwrap_or(u64::MAX),
        0,
    );
    // 85% to 100% of list.
    Decimal::new(rng.between(85, 100), 2)
}

/// The deterministic generator; an iterator of [`CostRow`]s (see the module documentation).
#[derive(Clone)]
pub struct Generator {
    config: GenConfig,
    accounts: Vec<BillingAccount>,
    resources: Vec<Resource>,
    commitments: Vec<Commitment>,
    contracted_shares: Vec<Decimal>,
    period: Duration,
    n_periods: u64,
    period_idx: u64,
    resource_idx: usize,
    queued: VecDeque<CostRow>,
    totals: GenTotals,
    started_period: bool,
    n_rows: u64,
}

impl fmt::Debug for Generator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generator")
            .field("n_accounts", &self.accounts.len())
            .field("n_resources", &self.resources.len())
            .field("n_periods", &self.n_periods)
            .field("n_rows", &self.n_rows)
            .finish_non_exhaustive()
    }
}

impl Generator {
    /// Builds the accounts, commitments and resources of `config`.
    pub fn new(config: GenConfig) -> Generator {
        let seed = config.seed;
        let accounts = match &config.accounts {
            Accounts::Given(accounts) => accounts.clone(),
            Accounts::Generate {
                n_billing_accounts,
                sub_accounts_per_billing_account,
            } => generate_accounts(seed, *n_billing_accounts, *sub_accounts_per_billing_account),
        };
        let contracted_shares = (0..accounts.len())
            .map(|account_idx| contracted_share(account_idx, seed))
            .collect();
        let mut commitments = Vec::new();
        let mut resources = Vec::new();
        for (account_idx, account) in accounts.iter().enumerate() {
            let (services, regions): (&[Service], &[(&str, &str)]) = match account.cloud {
                Cloud::Azure => (&AZURE_SERVICES, &AZURE_REGIONS),
                Cloud::Aws => (&AWS_SERVICES, &AWS_REGIONS),
            };
            for (sub_account_idx, sub_account) in account.sub_accounts.iter().enumerate() {
                let key = |a: usize, b: usize| {
                    (u64::try_from(a).unwrap_or(0) << 32) | u64::try_from(b).unwrap_or(0)
                };
                let mut rng = Rng::keyed(seed, 1, key(account_idx, sub_account_idx), 0);
                let home_region = rng.pick(regions).copied().unwrap_or(("global", "Global"));
                let commitment_idx = if rng.percent(35) {
                    let committed_service = services
                        .iter()
                        .find(|service| service.committable)
                        .copied()
                        .unwrap_or(AZURE_SERVICES[0]);
                    let (id, name, category, kind) = match account.cloud {
                        Cloud::Azure => {
                            let order = rng.guid();
                            let reservation = rng.guid();
                            (
                                format!("/providers/Microsoft.Capacity/reservationOrders/{order}/reservations/{reservation}"),
                                format!("RI-{}-{}", committed_service.sku_meter, home_region.0),
                                CommitmentDiscountCategory::Usage,
                                "Reservation",
                            )
                        }
                        Cloud::Aws => {
                            let plan = rng.guid();
                            (
                                format!(
                                    "arn:aws:savingsplans::{}:savingsplan/{plan}",
                                    sub_account.id
                                ),
                                format!("Compute Savings Plan {}", plan.get(..8).unwrap_or(&plan)),
                                CommitmentDiscountCategory::Spend,
                                "Savings Plan",
                            )
                        }
                    };
                    commitments.push(Commitment {
                        account_idx,
                        sub_account_idx,
                        id,
                        name,
                        category,
                        kind,
                        service: committed_service,
                        region: home_region,
                        monthly_fee: Decimal::new(rng.between(20_000, 500_000), 2),
                    });
                    Some(commitments.len() - 1)
                } else {
                    None
                };
                for resource_number in 0..config.resources_per_sub_account {
                    let mut rng = Rng::keyed(
                        seed,
                        2,
                        key(account_idx, sub_account_idx),
                        u64::try_from(resource_number).unwrap_or(0),
                    );
                    let service = rng.pick(services).copied().unwrap_or(AZURE_SERVICES[0]);
                    let region = if rng.percent(80) {
                        home_region
                    } else {
                        rng.pick(regions).copied().unwrap_or(home_region)
                    };
                    let project = rng.pick(&PROJECTS).copied().unwrap_or("atlas");
                    let environment = rng.pick(&ENVIRONMENTS).copied().unwrap_or("prod");
                    let resource_name = format!(
                        "{}-{project}-{environment}-{resource_number:03}",
                        short_name(service.resource_type)
                    );
                    let resource_id = match account.cloud {
                        Cloud::Azure => format!(
                            "/subscriptions/{}/resourceGroups/rg-{project}-{environment}/providers/{}/{resource_name}",
                            sub_account.id, service.resource_type
                        ),
                        Cloud::Aws => {
                            let (arn_service, arn_type) =
                                service.resource_type.split_once(':').unwrap_or(("ec2", ""));
                            if arn_type.is_empty() {
                                format!("arn:aws:{arn_service}:::{resource_name}")
                            } else {
                                format!(
                                    "arn:aws:{arn_service}:{}:{}:{arn_type}/{resource_name}",
                                    region.0, sub_account.id
                                )
                            }
                        }
                    };
                    // Tags: 15% of resources have none, 20% only some.
                    let mut tags = Vec::new();
                    if !rng.percent(15) {
                        let partial = rng.percent(20);
                        tags.push((
                            "costCenter".to_owned(),
                            format!("CC-{}", 1000 + rng.below(40)),
                        ));
                        tags.push(("environment".to_owned(), environment.to_owned()));
                        if !partial {
                            tags.push(("project".to_owned(), project.to_owned()));
                            tags.push((
                                "owner".to_owned(),
                                rng.pick(&OWNERS).copied().unwrap_or("ops").to_owned(),
                            ));
                        }
                        tags.sort();
                    }
                    let list_price = Decimal::new(
                        rng.between(service.price_micros.0, service.price_micros.1),
                        6,
                    );
                    let committed =
                        commitment_idx.is_some() && service.committable && rng.percent(50);
                    resources.push(Resource {
                        account_idx,
                        sub_account_idx,
                        service,
                        region,
                        resource_id,
                        resource_name,
                        tags,
                        list_price,
                        quantity_millis: service.quantity_millis,
                        commitment_idx: if committed { commitment_idx } else { None },
                        key: rng.next_u64(),
                    });
                }
            }
        }
        let period = match config.granularity {
            Granularity::Hourly => Duration::hours(1),
            Granularity::Daily => Duration::days(1),
        };
        let n_days = u64::try_from((config.end - config.start).num_days()).unwrap_or(0);
        let n_periods = match config.granularity {
            Granularity::Hourly => n_days * 24,
            Granularity::Daily => n_days,
        };
        Generator {
            config,
            accounts,
            resources,
            commitments,
            contracted_shares,
            period,
            n_periods,
            period_idx: 0,
            resource_idx: 0,
            queued: VecDeque::new(),
            totals: GenTotals::default(),
            started_period: false,
            n_rows: 0,
        }
    }

    /// Returns the billing accounts and sub-accounts the rows use.
    pub fn accounts(&self) -> &[BillingAccount] {
        &self.accounts
    }

    /// Returns the sums of the rows generated so far.
    pub fn totals(&self) -> &GenTotals {
        &self.totals
    }

    /// Returns the number of rows the configuration yields without `max_rows`.
    pub fn rows_planned(&self) -> u64 {
        let n_resources = u64::try_from(self.resources.len()).unwrap_or(u64::MAX);
        self.n_periods.saturating_mul(n_resources) + self.extra_rows_planned()
    }

    fn extra_rows_planned(&self) -> u64 {
        // Purchases, taxes, credits and unused commitments: counted by generating them, which is cheap.
        let mut n_rows = 0u64;
        for period_idx in 0..self.n_periods {
            n_rows += u64::try_from(self.period_rows(period_idx).len()).unwrap_or(0);
        }
        n_rows
    }

    /// Returns the start of charge period `period_idx`.
    fn period_start(&self, period_idx: u64) -> DateTime<Utc> {
        let start = self
            .config
            .start
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc();
        start + self.period * i32::try_from(period_idx).unwrap_or(i32::MAX)
    }

    /// Returns the rows that are not per-resource usage and belong at the start of a period: purchases, taxes and credits on the first period of a month
    /// (or of the range), and unused commitments on the first period of a day.
    fn period_rows(&self, period_idx: u64) -> Vec<CostRow> {
        let start = self.period_start(period_idx);
        let end = start + self.period;
        let month_start =
            period_idx == 0 || (start.day() == 1 && start.time() == chrono::NaiveTime::MIN);
        let day_start = start.time() == chrono::NaiveTime::MIN;
        let mut rows = Vec::new();
        if month_start {
            for commitment in &self.commitments {
                let mut row = self.base_row(
                    commitment.account_idx,
                    commitment.sub_account_idx,
                    start,
                    end,
                );
                row.charge_category = ChargeCategory::Purchase;
                row.charge_frequency = Some(ChargeFrequency::Recurring);
                row.charge_description = Some(format!("{} purchase, monthly fee", commitment.kind));
                row.billed_cost = commitment.monthly_fee;
                row.effective_cost = Decimal::ZERO;
                row.list_cost = Some(commitment.monthly_fee);
                row.contracted_cost = Some(commitment.monthly_fee);
                row.pricing_category = Some(PricingCategory::Standard);
                row.pricing_quantity = Some(Decimal::ONE);
                row.pricing_unit = Some("Month".to_owned());
                row.commitment_discount_id = Some(commitment.id.clone());
                row.commitment_discount_name = Some(commitment.name.clone());
                row.commitment_discount_category = Some(commitment.category);
                row.commitment_discount_type = Some(commitment.kind.to_owned());
                row.resource_id = Some(commitment.id.clone());
                row.resource_name = Some(commitment.name.clone());
                self.set_service(&mut row, &commitment.service, commitment.region);
                row.consumed_quantity = None;
                row.consumed_unit = None;
                rows.push(row);
            }
            for (account_idx, account) in self.accounts.iter().enumerate() {
                for sub_account_idx in 0..account.sub_accounts.len() {
                    let key = (u64::try_from(account_idx).unwrap_or(0) << 32)
                        | u64::try_from(sub_account_idx).unwrap_or(0);
                    let mut rng = Rng::keyed(self.config.seed, 3, key, period_idx);
                    let mut tax = self.base_row(account_idx, sub_account_idx, start, end);
                    tax.charge_category = ChargeCategory::Tax;
                    tax.charge_frequency = Some(ChargeFrequency::OneTime);
                    tax.charge_description = Some("Sales tax".to_owned());
                    let amount = Decimal::new(rng.between(100, 90_000), 2);
                    set_costs(&mut tax, amount);
                    tax.service_category = Some(ServiceCategory::Other);
                    tax.service_name = Some("Tax".to_owned());
                    set_later(&mut tax, "ServiceSubcategory", "Other (Other)");
                    rows.push(tax);
                    if rng.percent(10) {
                        let mut credit = self.base_row(account_idx, sub_account_idx, start, end);
                        credit.charge_category = ChargeCategory::Credit;
                        credit.charge_frequency = Some(ChargeFrequency::OneTime);
                        credit.charge_description = Some("Service level credit".to_owned());
                        let amount = -Decimal::new(rng.between(500, 25_000), 2);
                        set_costs(&mut credit, amount);
                        credit.service_category = Some(ServiceCategory::Other);
                        credit.service_name = Some("Credits".to_owned());
                        set_later(&mut credit, "ServiceSubcategory", "Other (Other)");
                        rows.push(credit);
                    }
                }
            }
        }
        if day_start {
            for (commitment_idx, commitment) in self.commitments.iter().enumerate() {
                let mut rng = Rng::keyed(
                    self.config.seed,
                    4,
                    u64::try_from(commitment_idx).unwrap_or(0),
                    period_idx,
                );
                if !rng.percent(60) {
                    continue;
                }
                let mut row = self.base_row(
                    commitment.account_idx,
                    commitment.sub_account_idx,
                    start,
                    start + Duration::days(1),
                );
                row.charge_category = ChargeCategory::Usage;
                row.charge_frequency = Some(ChargeFrequency::UsageBased);
                row.charge_description = Some(format!("Unused {}", commitment.kind.to_lowercase()));
                // Up to 5% of a day's share of the monthly fee.
                let unused = (commitment.monthly_fee * Decimal::new(rng.between(1, 50), 3)
                    / Decimal::from(30))
                .round_dp(COST_DECIMALS);
                row.billed_cost = Decimal::ZERO;
                row.effective_cost = unused;
                row.list_cost = Some(unused);
                row.contracted_cost = Some(unused);
                row.pricing_category = Some(PricingCategory::Committed);
                row.commitment_discount_id = Some(commitment.id.clone());
                row.commitment_discount_name = Some(commitment.name.clone());
                row.commitment_discount_category = Some(commitment.category);
                row.commitment_discount_type = Some(commitment.kind.to_owned());
                row.commitment_discount_status = Some(CommitmentDiscountStatus::Unused);
                row.resource_id = Some(commitment.id.clone());
                row.resource_name = Some(commitment.name.clone());
                self.set_service(&mut row, &commitment.service, commitment.region);
                row.consumed_quantity = None;
                row.consumed_unit = None;
                row.pricing_quantity = None;
                row.pricing_unit = None;
                rows.push(row);
            }
        }
        rows
    }

    fn account(&self, account_idx: usize) -> Option<&BillingAccount> {
        self.accounts.get(account_idx)
    }

    /// Returns a row with the account, period and provider columns filled and zero costs.
    fn base_row(
        &self,
        account_idx: usize,
        sub_account_idx: usize,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> CostRow {
        let account = self.account(account_idx);
        let sub_account = account.and_then(|account| account.sub_accounts.get(sub_account_idx));
        let cloud = account.map_or(Cloud::Azure, |account| account.cloud);
        let billing_period_start = start
            .date_naive()
            .with_day(1)
            .unwrap_or(start.date_naive())
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc();
        let billing_period_end = billing_period_start
            .date_naive()
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(start.date_naive())
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default()
            .and_utc();
        let (provider, account_type, sub_account_type) = match cloud {
            Cloud::Azure => ("Microsoft", "Billing Profile", "Subscription"),
            Cloud::Aws => ("AWS", "Billing Account", "Linked Account"),
        };
        let mut later_focus_columns = vec![
            ("BillingAccountType", account_type.to_owned()),
            (
                "InvoiceId",
                format!(
                    "INV-{}-{}",
                    billing_period_start.format("%Y%m"),
                    account.map_or("", |account| account.id.as_str())
                ),
            ),
            ("SubAccountType", sub_account_type.to_owned()),
        ];
        later_focus_columns.sort_by_key(|(name, _)| *name);
        CostRow {
            availability_zone: None,
            billed_cost: Decimal::ZERO,
            billing_account_id: account
                .map(|account| account.id.clone())
                .unwrap_or_default(),
            billing_account_name: account.map(|account| account.name.clone()),
            billing_currency: account
                .map(|account| account.currency.clone())
                .unwrap_or_else(|| "USD".to_owned()),
            billing_period_end,
            billing_period_start,
            charge_category: ChargeCategory::Usage,
            charge_class: None,
            charge_description: None,
            charge_frequency: Some(ChargeFrequency::UsageBased),
            charge_period_end: end,
            charge_period_start: start,
            commitment_discount_category: None,
            commitment_discount_id: None,
            commitment_discount_name: None,
            commitment_discount_status: None,
            commitment_discount_type: None,
            consumed_quantity: None,
            consumed_unit: None,
            contracted_cost: Some(Decimal::ZERO),
            contracted_unit_price: None,
            effective_cost: Decimal::ZERO,
            invoice_issuer_name: Some(provider.to_owned()),
            list_cost: Some(Decimal::ZERO),
            list_unit_price: None,
            pricing_category: None,
            pricing_quantity: None,
            pricing_unit: None,
            provider_name: Some(provider.to_owned()),
            publisher_name: Some(provider.to_owned()),
            region_id: None,
            region_name: None,
            resource_id: None,
            resource_name: None,
            resource_type: None,
            service_category: None,
            service_name: None,
            sku_id: None,
            sku_price_id: None,
            sub_account_id: sub_account.map(|sub_account| sub_account.id.clone()),
            sub_account_name: sub_account.map(|sub_account| sub_account.name.clone()),
            tags: Vec::new(),
            later_focus_columns,
            x_columns: Vec::new(),
        }
    }

    fn set_service(&self, row: &mut CostRow, service: &Service, region: (&str, &str)) {
        row.service_name = Some(service.name.to_owned());
        row.service_category = Some(service.category);
        row.region_id = Some(region.0.to_owned());
        row.region_name = Some(region.1.to_owned());
        row.resource_type = Some(service.resource_type.to_owned());
        row.sku_id = Some(format!(
            "{}/{}",
            short_name(service.resource_type),
            service.sku_meter
        ));
        set_later(row, "ServiceSubcategory", service.subcategory);
        set_later(row, "SkuMeter", service.sku_meter);
    }

    /// Returns the usage row of one resource in one period.
    fn usage_row(&self, resource: &Resource, period_idx: u64) -> CostRow {
        let start = self.period_start(period_idx);
        let end = start + self.period;
        let mut rng = Rng::keyed(self.config.seed, 5, resource.key, period_idx);
        let mut row = self.base_row(resource.account_idx, resource.sub_account_idx, start, end);
        self.set_service(&mut row, &resource.service, resource.region);
        row.resource_id = Some(resource.resource_id.clone());
        row.resource_name = Some(resource.resource_name.clone());
        row.tags = resource.tags.clone();
        row.charge_description = Some(format!(
            "{} {}",
            resource.service.name, resource.service.sku_meter
        ));

        // Weekly seasonality: weekends run at 60-70% unless the service is steady; plus or minus 10% noise.
        let weekday_permille: i64 = match (resource.service.steady, start.weekday()) {
            (false, Weekday::Sat) => 700,
            (false, Weekday::Sun) => 600,
            _ => 1000,
        };
        let noise_permille = rng.between(900, 1100);
        let hours: i64 = match self.config.granularity {
            Granularity::Hourly => 1,
            Granularity::Daily => 24,
        };
        let base_millis = rng.between(resource.quantity_millis.0, resource.quantity_millis.1);
        let quantity_millis = base_millis * hours * weekday_permille / 1000 * noise_permille / 1000;
        let quantity = Decimal::new(quantity_millis.max(1), 3);
        let share = self
            .contracted_shares
            .get(resource.account_idx)
            .copied()
            .unwrap_or(Decimal::ONE);
        let contracted_price = (resource.list_price * share).round_dp(COST_DECIMALS);
        let list_cost = (quantity * resource.list_price).round_dp(COST_DECIMALS);
        let contracted_cost = (quantity * contracted_price).round_dp(COST_DECIMALS);
        row.consumed_quantity = Some(quantity);
        row.consumed_unit = Some(resource.service.unit.to_owned());
        row.pricing_quantity = Some(quantity);
        row.pricing_unit = Some(resource.service.unit.to_owned());
        row.list_unit_price = Some(resource.list_price);
        row.contracted_unit_price = Some(contracted_price);
        row.list_cost = Some(list_cost);
        row.contracted_cost = Some(contracted_cost);
        match resource
            .commitment_idx
            .and_then(|idx| self.commitments.get(idx))
        {
            Some(commitment) => {
                // Covered by the commitment: nothing billed now, the amortized fee (60% of contracted) is the effective cost.
                row.pricing_category = Some(PricingCategory::Committed);
                row.billed_cost = Decimal::ZERO;
                row.effective_cost = (contracted_cost * Decimal::new(6, 1)).round_dp(COST_DECIMALS);
                row.commitment_discount_id = Some(commitment.id.clone());
                row.commitment_discount_name = Some(commitment.name.clone());
                row.commitment_discount_category = Some(commitment.category);
                row.commitment_discount_type = Some(commitment.kind.to_owned());
                row.commitment_discount_status = Some(CommitmentDiscountStatus::Used);
                set_later(
                    &mut row,
                    "CommitmentDiscountQuantity",
                    &quantity.to_string(),
                );
                set_later(&mut row, "CommitmentDiscountUnit", resource.service.unit);
            }
            None if resource.service.committable && rng.percent(3) => {
                // Spot or low-priority capacity.
                row.pricing_category = Some(PricingCategory::Dynamic);
                let dynamic = (contracted_cost * Decimal::new(35, 2)).round_dp(COST_DECIMALS);
                row.billed_cost = dynamic;
                row.effective_cost = dynamic;
            }
            None => {
                row.pricing_category = Some(PricingCategory::Standard);
                row.billed_cost = contracted_cost;
                row.effective_cost = contracted_cost;
            }
        }
        if rng.percent(30) {
            row.availability_zone = Some(format!("{}-{}", resource.region.0, 1 + rng.below(3)));
        }
        row
    }

    fn emit(&mut self, row: CostRow) -> CostRow {
        self.totals.add(&row);
        self.n_rows += 1;
        row
    }
}

impl Iterator for Generator {
    type Item = CostRow;

    fn next(&mut self) -> Option<CostRow> {
        if self
            .config
            .max_rows
            .is_some_and(|max_rows| self.n_rows >= max_rows)
        {
            return None;
        }
        loop {
            if let Some(row) = self.queued.pop_front() {
                return Some(self.emit(row));
            }
            if self.period_idx >= self.n_periods {
                return None;
            }
            if !self.started_period {
                self.started_period = true;
                self.queued = self.period_rows(self.period_idx).into();
                continue;
            }
            if let Some(resource) = self.resources.get(self.resource_idx) {
                let row = self.usage_row(resource, self.period_idx);
                self.resource_idx += 1;
                return Some(self.emit(row));
            }
            self.resource_idx = 0;
            self.period_idx += 1;
            self.started_period = false;
        }
    }
}

/// Sets all four costs to one amount (taxes and credits).
fn set_costs(row: &mut CostRow, amount: Decimal) {
    row.billed_cost = amount;
    row.effective_cost = amount;
    row.list_cost = Some(amount);
    row.contracted_cost = Some(amount);
}

/// Sets a later FOCUS column, keeping them sorted by name.
fn set_later(row: &mut CostRow, name: &'static str, value: &str) {
    match row
        .later_focus_columns
        .binary_search_by(|(column, _)| (*column).cmp(name))
    {
        Ok(column_idx) => {
            if let Some(slot) = row.later_focus_columns.get_mut(column_idx) {
                slot.1 = value.to_owned();
            }
        }
        Err(column_idx) => row
            .later_focus_columns
            .insert(column_idx, (name, value.to_owned())),
    }
}

/// Returns a short resource-name prefix for a resource type (`virtualMachines` is `vm`, `ec2:instance` is `instance`).
fn short_name(resource_type: &str) -> &str {
    let last = resource_type
        .rsplit(['/', ':'])
        .find(|part| !part.is_empty())
        .unwrap_or(resource_type);
    match last {
        "virtualMachines" => "vm",
        "managedClusters" => "aks",
        "storageAccounts" => "st",
        "databases" => "sqldb",
        "workspaces" => "log",
        "natGateways" => "ng",
        "accounts" => "oai",
        "vaults" => "kv",
        "s3" => "bucket",
        other => other,
    }
}

/// Generates billing accounts: 60% Azure with 8-digit ids and GUID subscriptions, 40% AWS with 12-digit payer and member accounts; 20% bill in EUR.
fn generate_accounts(
    seed: u64,
    n_billing_accounts: usize,
    sub_accounts_per_billing_account: usize,
) -> Vec<BillingAccount> {
    (0..n_billing_accounts)
        .map(|account_idx| {
            let mut rng = Rng::keyed(seed, 0, u64::try_from(account_idx).unwrap_or(0), 0);
            let cloud = if rng.percent(60) {
                Cloud::Azure
            } else {
                Cloud::Aws
            };
            let company = COMPANIES
                .get(account_idx % COMPANIES.len())
                .copied()
                .unwrap_or("Contoso");
            let name = format!("{company} {}", account_idx / COMPANIES.len() + 1);
            let currency = if rng.percent(20) { "EUR" } else { "USD" }.to_owned();
            let id = match cloud {
                Cloud::Azure => rng.digits(8),
                Cloud::Aws => rng.digits(12),
            };
            let sub_accounts = (0..sub_accounts_per_billing_account)
                .map(|sub_account_idx| {
                    let environment = ENVIRONMENTS
                        .get(sub_account_idx % ENVIRONMENTS.len())
                        .copied()
                        .unwrap_or("prod");
                    SubAccount {
                        id: match cloud {
                            Cloud::Azure => rng.guid(),
                            Cloud::Aws => rng.digits(12),
                        },
                        name: format!(
                            "{}-{environment}-{sub_account_idx}",
                            company.to_lowercase().replace(' ', "-")
                        ),
                    }
                })
                .collect();
            BillingAccount {
                id,
                name,
                cloud,
                currency,
                sub_accounts,
            }
        })
        .collect()
}

/// An error of writing generated rows.
#[derive(Debug, thiserror::Error)]
pub enum GenError {
    /// The CSV sink failed.
    #[error("cannot write generated FOCUS CSV")]
    Csv(#[source] csv::Error),
    /// The Parquet file could not be written.
    #[error("cannot write generated FOCUS Parquet")]
    Store(#[source] StoreError),
}

/// Returns the text of a FOCUS column of a row as a FOCUS CSV file spells it, or `None` for null.
fn focus_text(row: &CostRow, column: &str) -> Option<String> {
    let text = |value: &Option<String>| value.clone();
    let decimal = |value: Option<Decimal>| value.map(|value| value.to_string());
    let time = |value: DateTime<Utc>| Some(value.to_rfc3339_opts(SecondsFormat::AutoSi, true));
    match column {
        "AvailabilityZone" => text(&row.availability_zone),
        "BilledCost" => decimal(Some(row.billed_cost)),
        "BillingAccountId" => Some(row.billing_account_id.clone()),
        "BillingAccountName" => text(&row.billing_account_name),
        "BillingCurrency" => Some(row.billing_currency.clone()),
        "BillingPeriodEnd" => time(row.billing_period_end),
        "BillingPeriodStart" => time(row.billing_period_start),
        "ChargeCategory" => Some(row.charge_category.as_str().to_owned()),
        "ChargeClass" => row.charge_class.map(|value| value.as_str().to_owned()),
        "ChargeDescription" => text(&row.charge_description),
        "ChargeFrequency" => row.charge_frequency.map(|value| value.as_str().to_owned()),
        "ChargePeriodEnd" => time(row.charge_period_end),
        "ChargePeriodStart" => time(row.charge_period_start),
        "CommitmentDiscountCategory" => row
            .commitment_discount_category
            .map(|value| value.as_str().to_owned()),
        "CommitmentDiscountId" => text(&row.commitment_discount_id),
        "CommitmentDiscountName" => text(&row.commitment_discount_name),
        "CommitmentDiscountStatus" => row
            .commitment_discount_status
            .map(|value| value.as_str().to_owned()),
        "CommitmentDiscountType" => text(&row.commitment_discount_type),
        "ConsumedQuantity" => decimal(row.consumed_quantity),
        "ConsumedUnit" => text(&row.consumed_unit),
        "ContractedCost" => decimal(row.contracted_cost),
        "ContractedUnitPrice" => decimal(row.contracted_unit_price),
        "EffectiveCost" => decimal(Some(row.effective_cost)),
        "InvoiceIssuerName" => text(&row.invoice_issuer_name),
        "ListCost" => decimal(row.list_cost),
        "ListUnitPrice" => decimal(row.list_unit_price),
        "PricingCategory" => row.pricing_category.map(|value| value.as_str().to_owned()),
        "PricingQuantity" => decimal(row.pricing_quantity),
        "PricingUnit" => text(&row.pricing_unit),
        "ProviderName" => text(&row.provider_name),
        "PublisherName" => text(&row.publisher_name),
        "RegionId" => text(&row.region_id),
        "RegionName" => text(&row.region_name),
        "ResourceId" => text(&row.resource_id),
        "ResourceName" => text(&row.resource_name),
        "ResourceType" => text(&row.resource_type),
        "ServiceCategory" => row.service_category.map(|value| value.as_str().to_owned()),
        "ServiceName" => text(&row.service_name),
        "SkuId" => text(&row.sku_id),
        "SkuPriceId" => text(&row.sku_price_id),
        "SubAccountId" => text(&row.sub_account_id),
        "SubAccountName" => text(&row.sub_account_name),
        "Tags" => (!row.tags.is_empty()).then(|| {
            let object: serde_json::Map<String, serde_json::Value> = row
                .tags
                .iter()
                .map(|(key, value)| (key.clone(), serde_json::Value::String(value.clone())))
                .collect();
            serde_json::Value::Object(object).to_string()
        }),
        other => row
            .later_focus_column(other)
            .or_else(|| row.x_column(other))
            .map(str::to_owned),
    }
}

/// Writes rows as a FOCUS 1.2 CSV file (the 57 columns of 1.2, in the specification's order; nulls are empty fields) and returns the sums of what it wrote.
///
/// The rows' `x_` columns are not written; the values of the later FOCUS columns are written as the rows hold them.
pub fn write_csv<W: Write>(
    rows: impl IntoIterator<Item = CostRow>,
    sink: W,
) -> Result<GenTotals, GenError> {
    let columns: Vec<&'static str> = FocusVersion::V1_2
        .columns()
        .iter()
        .map(|spec| spec.name)
        .collect();
    let mut writer = csv::Writer::from_writer(sink);
    writer.write_record(&columns).map_err(GenError::Csv)?;
    let mut totals = GenTotals::default();
    let mut record: Vec<String> = Vec::with_capacity(columns.len());
    for row in rows {
        record.clear();
        record.extend(
            columns
                .iter()
                .map(|column| focus_text(&row, column).unwrap_or_default()),
        );
        writer.write_record(&record).map_err(GenError::Csv)?;
        totals.add(&row);
    }
    writer
        .flush()
        .map_err(|error| GenError::Csv(error.into()))?;
    Ok(totals)
}

/// Writes rows as a FOCUS 1.2 Parquet file (the store schema with the 1.2 columns, see [`crate::store::schema_for`]), atomically, and returns the sums of what it wrote.
pub fn write_parquet(
    rows: impl IntoIterator<Item = CostRow>,
    path: &Path,
) -> Result<GenTotals, GenError> {
    let mut writer =
        AtomicWriter::create_for_version(path, FocusVersion::V1_2).map_err(GenError::Store)?;
    let mut totals = GenTotals::default();
    let mut batch = Vec::with_capacity(8192);
    for row in rows {
        totals.add(&row);
        batch.push(row);
        if batch.len() == 8192 {
            writer.write(&batch).map_err(GenError::Store)?;
            batch.clear();
        }
    }
    writer.write(&batch).map_err(GenError::Store)?;
    writer.commit().map_err(GenError::Store)?;
    Ok(totals)
}
