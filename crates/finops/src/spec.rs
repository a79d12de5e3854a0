//! The FOCUS columns of the cost and usage dataset, per version: name, data type, feature level, nullability and the allowed values where the specification fixes them.
//!
//! The tables are Rust data, written from these sources (CC BY 4.0 specification text, restated, not copied):
//!
//! - 0.5: the FOCUS_Spec repository's 0.5 column pages (`Column required` true or false, which we call Mandatory and Conditional), as checked by the focus-validator's 0.5 rule set.
//! - 1.0 and 1.1: the FOCUS_Spec column pages of those releases (the 1.1 set as vendored by microsoft/finops-toolkit), and the 1.0 sample export.
//! - 1.2: `focus_1.2_columns_featurelevel_type_nullable.txt` (name, feature level, type, nullability of all 57 columns), cross-checked with Microsoft's FocusCost 1.2-preview metadata.
//! - 1.3: the header of the FOCUS 1.3 synthetic sample (65 columns) and the 1.3 column pages in FOCUS_Spec.
//!
//! Where the sources disagree the table takes the reading that rejects fewer files, and says so at the column:
//! `HostProviderName` allows nulls (its 1.3 constraint table says so, its prose says it must not be null),
//! and the three `PricingCurrency*` money columns allow nulls in 1.3 as in 1.2.
//!
//! The tables describe single columns only.
//! Rules that relate columns (for example "ChargeClass is `Correction` only for corrections", "ServiceSubcategory has one parent ServiceCategory",
//! "BillingPeriodStart is before BillingPeriodEnd") are not encoded here and not checked by the reader.

use std::fmt;
use std::str::FromStr;

use crate::row::{
    ChargeCategory, ChargeClass, ChargeFrequency, CommitmentDiscountCategory,
    CommitmentDiscountStatus, PricingCategory, ServiceCategory,
};

// Short names for the column tables below.
use self::DataType::{DateTime as Dt, Decimal as Dec, Json, String as Str};
use self::FeatureLevel::{Conditional as C, Mandatory as M, Recommended as R};
use self::FocusVersion::{V0_5, V1_0, V1_1, V1_2, V1_3};
use self::ValueFormat::{Allowed, Any, CurrencyCode, FlatKeyValue};

/// A version of the FOCUS specification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FocusVersion {
    /// FOCUS 0.5 (June 2023), the first release; read so that files of that era (and the focus-validator's fixtures) still load.
    V0_5,
    /// FOCUS 1.0 (June 2024).
    V1_0,
    /// FOCUS 1.1 (November 2024).
    V1_1,
    /// FOCUS 1.2 (May 2025).
    V1_2,
    /// FOCUS 1.3.
    V1_3,
}

impl FocusVersion {
    /// Lists every version this crate knows, oldest first.
    pub const ALL: [FocusVersion; 5] = [
        FocusVersion::V0_5,
        FocusVersion::V1_0,
        FocusVersion::V1_1,
        FocusVersion::V1_2,
        FocusVersion::V1_3,
    ];

    /// Returns the version number as the specification writes it, for example `1.2`.
    pub fn as_str(self) -> &'static str {
        match self {
            FocusVersion::V0_5 => "0.5",
            FocusVersion::V1_0 => "1.0",
            FocusVersion::V1_1 => "1.1",
            FocusVersion::V1_2 => "1.2",
            FocusVersion::V1_3 => "1.3",
        }
    }

    /// Returns the cost and usage columns of this version.
    pub fn columns(self) -> &'static [ColumnSpec] {
        match self {
            FocusVersion::V0_5 => &COLUMNS_0_5,
            FocusVersion::V1_0 => &COLUMNS_1_0,
            FocusVersion::V1_1 => &COLUMNS_1_1,
            FocusVersion::V1_2 => &COLUMNS_1_2,
            FocusVersion::V1_3 => &COLUMNS_1_3,
        }
    }

    /// Returns the column called `name` in this version (column names are case-sensitive in FOCUS).
    pub fn column(self, name: &str) -> Option<&'static ColumnSpec> {
        self.columns().iter().find(|column| column.name == name)
    }

    /// Returns the columns that must be present in a dataset of this version (feature level Mandatory).
    pub fn required_columns(self) -> impl Iterator<Item = &'static ColumnSpec> {
        self.columns()
            .iter()
            .filter(|column| column.feature_level == FeatureLevel::Mandatory)
    }

    /// Detects the version of a FOCUS header, or returns `None` if the header is not FOCUS.
    ///
    /// A header is FOCUS 1.x if it has `BilledCost` and `ChargeCategory`, and FOCUS 0.5 if it has `BilledCost`, `ChargeType` and `AmortizedCost` but no `ChargeCategory`.
    /// For 1.x the result is the newest version that introduced one of the header's columns, and at least 1.0.
    /// A 1.2 file that happens to use no column introduced after 1.0 is therefore read as 1.0; that is harmless,
    /// because 1.1 and 1.2 add no Mandatory column and change no rule of the 1.0 columns.
    pub fn detect<S: AsRef<str>>(header: &[S]) -> Option<FocusVersion> {
        let has = |name: &str| header.iter().any(|column| column.as_ref() == name);
        if !has("BilledCost") {
            return None;
        }
        if has("ChargeCategory") {
            let newest = header
                .iter()
                .filter_map(|name| FocusVersion::V1_3.column(name.as_ref()))
                .map(|column| column.introduced)
                .max()
                .unwrap_or(FocusVersion::V1_0);
            return Some(newest.max(FocusVersion::V1_0));
        }
        if has("ChargeType") && has("AmortizedCost") {
            return Some(FocusVersion::V0_5);
        }
        None
    }
}

impl fmt::Display for FocusVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing a FOCUS version number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown FOCUS version `{0}`")]
pub struct UnknownVersionError(pub String);

impl FromStr for FocusVersion {
    type Err = UnknownVersionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        FocusVersion::ALL
            .into_iter()
            .find(|version| version.as_str() == text)
            .ok_or_else(|| UnknownVersionError(text.to_owned()))
    }
}

/// The data type of a FOCUS column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataType {
    /// UTF-8 text.
    String,
    /// A decimal number (FOCUS Numeric Format: integer, decimal or scientific notation).
    Decimal,
    /// An instant in time, in UTC (FOCUS Date/Time Format).
    DateTime,
    /// A JSON object (FOCUS Key-Value Format).
    Json,
}

/// How strongly the specification asks for a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FeatureLevel {
    /// The column must be present.
    Mandatory,
    /// The column should be present.
    Recommended,
    /// The column must be present when the provider supports the feature it describes.
    Conditional,
}

/// A constraint on the values of a column beyond its data type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ValueFormat {
    /// Any value of the data type.
    Any,
    /// One of a closed list of values, compared exactly (case-sensitive).
    Allowed(&'static [&'static str]),
    /// An ISO 4217 currency code: three uppercase ASCII letters.
    CurrencyCode,
    /// A flat JSON object whose values are strings, numbers, booleans or null (the FOCUS Key-Value Format as used by `Tags`).
    FlatKeyValue,
}

/// One column of the FOCUS cost and usage dataset, in one version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ColumnSpec {
    /// The column id, for example `BilledCost`.
    pub name: &'static str,
    /// The data type.
    pub data_type: DataType,
    /// The feature level; Mandatory columns must be present.
    pub feature_level: FeatureLevel,
    /// Whether a present column may hold nulls.
    pub nullable: bool,
    /// The allowed values, if the specification fixes them.
    pub format: ValueFormat,
    /// The version that introduced the column under this name.
    pub introduced: FocusVersion,
}

impl ColumnSpec {
    /// Returns whether the column must be present (feature level Mandatory).
    pub fn required(&self) -> bool {
        self.feature_level == FeatureLevel::Mandatory
    }

    /// Returns the allowed values, if the specification fixes them.
    pub fn allowed_values(&self) -> Option<&'static [&'static str]> {
        match self.format {
            ValueFormat::Allowed(values) => Some(values),
            ValueFormat::Any | ValueFormat::CurrencyCode | ValueFormat::FlatKeyValue => None,
        }
    }
}

/// The allowed values of `ServiceSubcategory` (1.1 and later), identical in 1.1, 1.2 and 1.3; the parent category of each is not checked.
pub const SERVICE_SUBCATEGORY_VALUES: &[&str] = &[
    "AI Platforms",
    "Bots",
    "Generative AI",
    "Machine Learning",
    "Natural Language Processing",
    "Other (AI and Machine Learning)",
    "Analytics Platforms",
    "Business Intelligence",
    "Data Processing",
    "Search",
    "Streaming Analytics",
    "Other (Analytics)",
    "Productivity and Collaboration",
    "Other (Business Applications)",
    "Containers",
    "End User Computing",
    "Quantum Compute",
    "Serverless Compute",
    "Virtual Machines",
    "Other (Compute)",
    "Caching",
    "Data Warehouses",
    "Ledger Databases",
    "NoSQL Databases",
    "Relational Databases",
    "Time Series Databases",
    "Other (Databases)",
    "Developer Platforms",
    "Continuous Integration and Deployment",
    "Development Environments",
    "Source Code Management",
    "Quality Assurance",
    "Other (Developer Tools)",
    "Identity and Access Management",
    "Other (Identity)",
    "API Management",
    "Messaging",
    "Workflow Orchestration",
    "Other (Integration)",
    "IoT Analytics",
    "IoT Platforms",
    "Other (Internet of Things)",
    "Architecture",
    "Compliance",
    "Cost Management",
    "Data Governance",
    "Disaster Recovery",
    "Endpoint Management",
    "Observability",
    "Support",
    "Other (Management and Governance)",
    "Content Creation",
    "Gaming",
    "Media Streaming",
    "Mixed Reality",
    "Other (Media)",
    "Data Migration",
    "Resource Migration",
    "Other (Migration)",
    "Other (Mobile)",
    "Multicloud Integration",
    "Other (Multicloud)",
    "Application Networking",
    "Content Delivery",
    "Network Connectivity",
    "Network Infrastructure",
    "Network Routing",
    "Network Security",
    "Other (Networking)",
    "Secret Management",
    "Security Posture Management",
    "Threat Detection and Response",
    "Other (Security)",
    "Backup Storage",
    "Block Storage",
    "File Storage",
    "Object Storage",
    "Storage Platforms",
    "Other (Storage)",
    "Application Platforms",
    "Other (Web)",
    "Other (Other)",
];

/// The allowed values of the 0.5 `ChargeType` column (`Credit` arrived with 1.0's `ChargeCategory`).
pub const CHARGE_TYPE_0_5_VALUES: &[&str] = &["Adjustment", "Purchase", "Tax", "Usage"];

/// The allowed values of `CapacityReservationStatus` (1.1 and later).
pub const CAPACITY_RESERVATION_STATUS_VALUES: &[&str] = &["Used", "Unused"];

const fn column(
    name: &'static str,
    data_type: DataType,
    feature_level: FeatureLevel,
    nullable: bool,
    format: ValueFormat,
    introduced: FocusVersion,
) -> ColumnSpec {
    ColumnSpec {
        name,
        data_type,
        feature_level,
        nullable,
        format,
        introduced,
    }
}

// FOCUS 0.5 names that 1.0 renamed or replaced.
const AMORTIZED_COST: ColumnSpec = column("AmortizedCost", Dec, M, false, Any, V0_5);
const BILLED_CURRENCY: ColumnSpec = column("BilledCurrency", Str, M, false, CurrencyCode, V0_5);
const CHARGE_TYPE: ColumnSpec = column(
    "ChargeType",
    Str,
    M,
    false,
    Allowed(CHARGE_TYPE_0_5_VALUES),
    V0_5,
);
const INVOICE_ISSUER: ColumnSpec = column("InvoiceIssuer", Str, M, false, Any, V0_5);
const PROVIDER: ColumnSpec = column("Provider", Str, M, false, Any, V0_5);
const PUBLISHER: ColumnSpec = column("Publisher", Str, M, false, Any, V0_5);
const REGION: ColumnSpec = column("Region", Str, C, true, Any, V0_5);
const RESOURCE_ID_0_5: ColumnSpec = column("ResourceID", Str, C, true, Any, V0_5);
const AVAILABILITY_ZONE_0_5: ColumnSpec = column("AvailabilityZone", Str, C, true, Any, V0_5);

// Columns of 1.0 and later; `introduced` is the version that gave the column its current name.
const ALLOCATED_METHOD_DETAILS: ColumnSpec =
    column("AllocatedMethodDetails", Json, R, true, Any, V1_3);
const ALLOCATED_METHOD_ID: ColumnSpec = column("AllocatedMethodId", Str, C, true, Any, V1_3);
const ALLOCATED_RESOURCE_ID: ColumnSpec = column("AllocatedResourceId", Str, C, true, Any, V1_3);
const ALLOCATED_RESOURCE_NAME: ColumnSpec =
    column("AllocatedResourceName", Str, C, true, Any, V1_3);
const ALLOCATED_TAGS: ColumnSpec = column("AllocatedTags", Json, C, true, FlatKeyValue, V1_3);
const AVAILABILITY_ZONE: ColumnSpec = column("AvailabilityZone", Str, R, true, Any, V0_5);
const BILLED_COST: ColumnSpec = column("BilledCost", Dec, M, false, Any, V0_5);
const BILLING_ACCOUNT_ID: ColumnSpec = column("BillingAccountId", Str, M, false, Any, V0_5);
const BILLING_ACCOUNT_NAME: ColumnSpec = column("BillingAccountName", Str, M, true, Any, V0_5);
const BILLING_ACCOUNT_TYPE: ColumnSpec = column("BillingAccountType", Str, C, false, Any, V1_2);
const BILLING_CURRENCY: ColumnSpec = column("BillingCurrency", Str, M, false, CurrencyCode, V1_0);
const BILLING_PERIOD_END: ColumnSpec = column("BillingPeriodEnd", Dt, M, false, Any, V0_5);
const BILLING_PERIOD_START: ColumnSpec = column("BillingPeriodStart", Dt, M, false, Any, V0_5);
const CAPACITY_RESERVATION_ID: ColumnSpec =
    column("CapacityReservationId", Str, C, true, Any, V1_1);
const CAPACITY_RESERVATION_STATUS: ColumnSpec = column(
    "CapacityReservationStatus",
    Str,
    C,
    true,
    Allowed(CAPACITY_RESERVATION_STATUS_VALUES),
    V1_1,
);
const CHARGE_CATEGORY: ColumnSpec = column(
    "ChargeCategory",
    Str,
    M,
    false,
    Allowed(ChargeCategory::VALUES),
    V1_0,
);
const CHARGE_CLASS: ColumnSpec = column(
    "ChargeClass",
    Str,
    M,
    true,
    Allowed(ChargeClass::VALUES),
    V1_0,
);
const CHARGE_DESCRIPTION: ColumnSpec = column("ChargeDescription", Str, M, true, Any, V1_0);
const CHARGE_FREQUENCY: ColumnSpec = column(
    "ChargeFrequency",
    Str,
    R,
    false,
    Allowed(ChargeFrequency::VALUES),
    V1_0,
);
const CHARGE_PERIOD_END: ColumnSpec = column("ChargePeriodEnd", Dt, M, false, Any, V0_5);
const CHARGE_PERIOD_START: ColumnSpec = column("ChargePeriodStart", Dt, M, false, Any, V0_5);
const COMMITMENT_DISCOUNT_CATEGORY: ColumnSpec = column(
    "CommitmentDiscountCategory",
    Str,
    C,
    true,
    Allowed(CommitmentDiscountCategory::VALUES),
    V1_0,
);
const COMMITMENT_DISCOUNT_ID: ColumnSpec = column("CommitmentDiscountId", Str, C, true, Any, V1_0);
const COMMITMENT_DISCOUNT_NAME: ColumnSpec =
    column("CommitmentDiscountName", Str, C, true, Any, V1_0);
const COMMITMENT_DISCOUNT_QUANTITY: ColumnSpec =
    column("CommitmentDiscountQuantity", Dec, C, true, Any, V1_1);
const COMMITMENT_DISCOUNT_STATUS: ColumnSpec = column(
    "CommitmentDiscountStatus",
    Str,
    C,
    true,
    Allowed(CommitmentDiscountStatus::VALUES),
    V1_0,
);
const COMMITMENT_DISCOUNT_TYPE: ColumnSpec =
    column("CommitmentDiscountType", Str, C, true, Any, V1_0);
const COMMITMENT_DISCOUNT_UNIT: ColumnSpec =
    column("CommitmentDiscountUnit", Str, C, true, Any, V1_1);
const CONSUMED_QUANTITY: ColumnSpec = column("ConsumedQuantity", Dec, C, true, Any, V1_0);
const CONSUMED_UNIT: ColumnSpec = column("ConsumedUnit", Str, C, true, Any, V1_0);
const CONTRACT_APPLIED: ColumnSpec = column("ContractApplied", Json, C, true, Any, V1_3);
const CONTRACTED_COST: ColumnSpec = column("ContractedCost", Dec, M, false, Any, V1_0);
const CONTRACTED_UNIT_PRICE: ColumnSpec = column("ContractedUnitPrice", Dec, C, true, Any, V1_0);
const EFFECTIVE_COST: ColumnSpec = column("EffectiveCost", Dec, M, false, Any, V1_0);
// The 1.3 constraint table allows nulls; its prose says the column must not be null. We take the table.
const HOST_PROVIDER_NAME: ColumnSpec = column("HostProviderName", Str, M, true, Any, V1_3);
const INVOICE_ID: ColumnSpec = column("InvoiceId", Str, R, true, Any, V1_2);
const INVOICE_ISSUER_NAME: ColumnSpec = column("InvoiceIssuerName", Str, M, false, Any, V1_0);
const LIST_COST: ColumnSpec = column("ListCost", Dec, M, false, Any, V1_0);
const LIST_UNIT_PRICE: ColumnSpec = column("ListUnitPrice", Dec, C, true, Any, V1_0);
const PRICING_CATEGORY: ColumnSpec = column(
    "PricingCategory",
    Str,
    C,
    true,
    Allowed(PricingCategory::VALUES),
    V1_0,
);
// PricingCurrency may be a virtual currency (tokens, credits) from 1.2 on, so it is not checked as ISO 4217.
const PRICING_CURRENCY: ColumnSpec = column("PricingCurrency", Str, C, true, Any, V1_2);
const PRICING_CURRENCY_CONTRACTED_UNIT_PRICE: ColumnSpec = column(
    "PricingCurrencyContractedUnitPrice",
    Dec,
    C,
    true,
    Any,
    V1_2,
);
const PRICING_CURRENCY_EFFECTIVE_COST: ColumnSpec =
    column("PricingCurrencyEffectiveCost", Dec, C, true, Any, V1_2);
const PRICING_CURRENCY_LIST_UNIT_PRICE: ColumnSpec =
    column("PricingCurrencyListUnitPrice", Dec, C, true, Any, V1_2);
const PRICING_QUANTITY: ColumnSpec = column("PricingQuantity", Dec, M, true, Any, V1_0);
const PRICING_UNIT: ColumnSpec = column("PricingUnit", Str, M, true, Any, V1_0);
// Deprecated in 1.3 in favour of ServiceProviderName, but still Mandatory there.
const PROVIDER_NAME: ColumnSpec = column("ProviderName", Str, M, false, Any, V1_0);
// Deprecated in 1.3, but still Mandatory there.
const PUBLISHER_NAME: ColumnSpec = column("PublisherName", Str, M, false, Any, V1_0);
const REGION_ID: ColumnSpec = column("RegionId", Str, C, true, Any, V1_0);
const REGION_NAME: ColumnSpec = column("RegionName", Str, C, true, Any, V1_0);
const RESOURCE_ID: ColumnSpec = column("ResourceId", Str, C, true, Any, V1_0);
const RESOURCE_NAME: ColumnSpec = column("ResourceName", Str, C, true, Any, V0_5);
const RESOURCE_TYPE: ColumnSpec = column("ResourceType", Str, C, true, Any, V1_0);
const SERVICE_CATEGORY: ColumnSpec = column(
    "ServiceCategory",
    Str,
    M,
    false,
    Allowed(ServiceCategory::VALUES),
    V0_5,
);
const SERVICE_NAME: ColumnSpec = column("ServiceName", Str, M, false, Any, V0_5);
const SERVICE_PROVIDER_NAME: ColumnSpec = column("ServiceProviderName", Str, M, false, Any, V1_3);
const SERVICE_SUBCATEGORY: ColumnSpec = column(
    "ServiceSubcategory",
    Str,
    R,
    false,
    Allowed(SERVICE_SUBCATEGORY_VALUES),
    V1_1,
);
const SKU_ID: ColumnSpec = column("SkuId", Str, C, true, Any, V1_0);
const SKU_METER: ColumnSpec = column("SkuMeter", Str, C, true, Any, V1_1);
const SKU_PRICE_DETAILS: ColumnSpec = column("SkuPriceDetails", Json, C, true, Any, V1_1);
const SKU_PRICE_ID: ColumnSpec = column("SkuPriceId", Str, C, true, Any, V1_0);
const SUB_ACCOUNT_ID: ColumnSpec = column("SubAccountId", Str, C, true, Any, V0_5);
const SUB_ACCOUNT_NAME: ColumnSpec = column("SubAccountName", Str, C, true, Any, V0_5);
const SUB_ACCOUNT_TYPE: ColumnSpec = column("SubAccountType", Str, C, true, Any, V1_2);
const TAGS: ColumnSpec = column("Tags", Json, C, true, FlatKeyValue, V1_0);

// 0.5 used `Column required` instead of feature levels: required columns are Mandatory here, the others Conditional.
static COLUMNS_0_5: [ColumnSpec; 21] = [
    AMORTIZED_COST,
    AVAILABILITY_ZONE_0_5,
    BILLED_COST,
    BILLED_CURRENCY,
    BILLING_ACCOUNT_ID,
    BILLING_ACCOUNT_NAME,
    BILLING_PERIOD_END,
    BILLING_PERIOD_START,
    CHARGE_PERIOD_END,
    CHARGE_PERIOD_START,
    CHARGE_TYPE,
    INVOICE_ISSUER,
    PROVIDER,
    PUBLISHER,
    REGION,
    RESOURCE_ID_0_5,
    RESOURCE_NAME,
    SERVICE_CATEGORY,
    SERVICE_NAME,
    SUB_ACCOUNT_ID,
    SUB_ACCOUNT_NAME,
];

static COLUMNS_1_0: [ColumnSpec; 43] = [
    AVAILABILITY_ZONE,
    BILLED_COST,
    BILLING_ACCOUNT_ID,
    BILLING_ACCOUNT_NAME,
    BILLING_CURRENCY,
    BILLING_PERIOD_END,
    BILLING_PERIOD_START,
    CHARGE_CATEGORY,
    CHARGE_CLASS,
    CHARGE_DESCRIPTION,
    CHARGE_FREQUENCY,
    CHARGE_PERIOD_END,
    CHARGE_PERIOD_START,
    COMMITMENT_DISCOUNT_CATEGORY,
    COMMITMENT_DISCOUNT_ID,
    COMMITMENT_DISCOUNT_NAME,
    COMMITMENT_DISCOUNT_STATUS,
    COMMITMENT_DISCOUNT_TYPE,
    CONSUMED_QUANTITY,
    CONSUMED_UNIT,
    CONTRACTED_COST,
    CONTRACTED_UNIT_PRICE,
    EFFECTIVE_COST,
    INVOICE_ISSUER_NAME,
    LIST_COST,
    LIST_UNIT_PRICE,
    PRICING_CATEGORY,
    PRICING_QUANTITY,
    PRICING_UNIT,
    PROVIDER_NAME,
    PUBLISHER_NAME,
    REGION_ID,
    REGION_NAME,
    RESOURCE_ID,
    RESOURCE_NAME,
    RESOURCE_TYPE,
    SERVICE_CATEGORY,
    SERVICE_NAME,
    SKU_ID,
    SKU_PRICE_ID,
    SUB_ACCOUNT_ID,
    SUB_ACCOUNT_NAME,
    TAGS,
];

// 1.1 adds seven columns.
static COLUMNS_1_1: [ColumnSpec; 50] = [
    AVAILABILITY_ZONE,
    BILLED_COST,
    BILLING_ACCOUNT_ID,
    BILLING_ACCOUNT_NAME,
    BILLING_CURRENCY,
    BILLING_PERIOD_END,
    BILLING_PERIOD_START,
    CAPACITY_RESERVATION_ID,
    CAPACITY_RESERVATION_STATUS,
    CHARGE_CATEGORY,
    CHARGE_CLASS,
    CHARGE_DESCRIPTION,
    CHARGE_FREQUENCY,
    CHARGE_PERIOD_END,
    CHARGE_PERIOD_START,
    COMMITMENT_DISCOUNT_CATEGORY,
    COMMITMENT_DISCOUNT_ID,
    COMMITMENT_DISCOUNT_NAME,
    COMMITMENT_DISCOUNT_QUANTITY,
    COMMITMENT_DISCOUNT_STATUS,
    COMMITMENT_DISCOUNT_TYPE,
    COMMITMENT_DISCOUNT_UNIT,
    CONSUMED_QUANTITY,
    CONSUMED_UNIT,
    CONTRACTED_COST,
    CONTRACTED_UNIT_PRICE,
    EFFECTIVE_COST,
    INVOICE_ISSUER_NAME,
    LIST_COST,
    LIST_UNIT_PRICE,
    PRICING_CATEGORY,
    PRICING_QUANTITY,
    PRICING_UNIT,
    PROVIDER_NAME,
    PUBLISHER_NAME,
    REGION_ID,
    REGION_NAME,
    RESOURCE_ID,
    RESOURCE_NAME,
    RESOURCE_TYPE,
    SERVICE_CATEGORY,
    SERVICE_NAME,
    SERVICE_SUBCATEGORY,
    SKU_ID,
    SKU_METER,
    SKU_PRICE_DETAILS,
    SKU_PRICE_ID,
    SUB_ACCOUNT_ID,
    SUB_ACCOUNT_NAME,
    TAGS,
];

// 1.2 adds seven more.
static COLUMNS_1_2: [ColumnSpec; 57] = [
    AVAILABILITY_ZONE,
    BILLED_COST,
    BILLING_ACCOUNT_ID,
    BILLING_ACCOUNT_NAME,
    BILLING_ACCOUNT_TYPE,
    BILLING_CURRENCY,
    BILLING_PERIOD_END,
    BILLING_PERIOD_START,
    CAPACITY_RESERVATION_ID,
    CAPACITY_RESERVATION_STATUS,
    CHARGE_CATEGORY,
    CHARGE_CLASS,
    CHARGE_DESCRIPTION,
    CHARGE_FREQUENCY,
    CHARGE_PERIOD_END,
    CHARGE_PERIOD_START,
    COMMITMENT_DISCOUNT_CATEGORY,
    COMMITMENT_DISCOUNT_ID,
    COMMITMENT_DISCOUNT_NAME,
    COMMITMENT_DISCOUNT_QUANTITY,
    COMMITMENT_DISCOUNT_STATUS,
    COMMITMENT_DISCOUNT_TYPE,
    COMMITMENT_DISCOUNT_UNIT,
    CONSUMED_QUANTITY,
    CONSUMED_UNIT,
    CONTRACTED_COST,
    CONTRACTED_UNIT_PRICE,
    EFFECTIVE_COST,
    INVOICE_ID,
    INVOICE_ISSUER_NAME,
    LIST_COST,
    LIST_UNIT_PRICE,
    PRICING_CATEGORY,
    PRICING_CURRENCY,
    PRICING_CURRENCY_CONTRACTED_UNIT_PRICE,
    PRICING_CURRENCY_EFFECTIVE_COST,
    PRICING_CURRENCY_LIST_UNIT_PRICE,
    PRICING_QUANTITY,
    PRICING_UNIT,
    PROVIDER_NAME,
    PUBLISHER_NAME,
    REGION_ID,
    REGION_NAME,
    RESOURCE_ID,
    RESOURCE_NAME,
    RESOURCE_TYPE,
    SERVICE_CATEGORY,
    SERVICE_NAME,
    SERVICE_SUBCATEGORY,
    SKU_ID,
    SKU_METER,
    SKU_PRICE_DETAILS,
    SKU_PRICE_ID,
    SUB_ACCOUNT_ID,
    SUB_ACCOUNT_NAME,
    SUB_ACCOUNT_TYPE,
    TAGS,
];

// 1.3 adds eight more (split cost allocation, contract commitments, the service and host provider).
static COLUMNS_1_3: [ColumnSpec; 65] = [
    ALLOCATED_METHOD_DETAILS,
    ALLOCATED_METHOD_ID,
    ALLOCATED_RESOURCE_ID,
    ALLOCATED_RESOURCE_NAME,
    ALLOCATED_TAGS,
    AVAILABILITY_ZONE,
    BILLED_COST,
    BILLING_ACCOUNT_ID,
    BILLING_ACCOUNT_NAME,
    BILLING_ACCOUNT_TYPE,
    BILLING_CURRENCY,
    BILLING_PERIOD_END,
    BILLING_PERIOD_START,
    CAPACITY_RESERVATION_ID,
    CAPACITY_RESERVATION_STATUS,
    CHARGE_CATEGORY,
    CHARGE_CLASS,
    CHARGE_DESCRIPTION,
    CHARGE_FREQUENCY,
    CHARGE_PERIOD_END,
    CHARGE_PERIOD_START,
    COMMITMENT_DISCOUNT_CATEGORY,
    COMMITMENT_DISCOUNT_ID,
    COMMITMENT_DISCOUNT_NAME,
    COMMITMENT_DISCOUNT_QUANTITY,
    COMMITMENT_DISCOUNT_STATUS,
    COMMITMENT_DISCOUNT_TYPE,
    COMMITMENT_DISCOUNT_UNIT,
    CONSUMED_QUANTITY,
    CONSUMED_UNIT,
    CONTRACT_APPLIED,
    CONTRACTED_COST,
    CONTRACTED_UNIT_PRICE,
    EFFECTIVE_COST,
    HOST_PROVIDER_NAME,
    INVOICE_ID,
    INVOICE_ISSUER_NAME,
    LIST_COST,
    LIST_UNIT_PRICE,
    PRICING_CATEGORY,
    PRICING_CURRENCY,
    PRICING_CURRENCY_CONTRACTED_UNIT_PRICE,
    PRICING_CURRENCY_EFFECTIVE_COST,
    PRICING_CURRENCY_LIST_UNIT_PRICE,
    PRICING_QUANTITY,
    PRICING_UNIT,
    PROVIDER_NAME,
    PUBLISHER_NAME,
    REGION_ID,
    REGION_NAME,
    RESOURCE_ID,
    RESOURCE_NAME,
    RESOURCE_TYPE,
    SERVICE_CATEGORY,
    SERVICE_NAME,
    SERVICE_PROVIDER_NAME,
    SERVICE_SUBCATEGORY,
    SKU_ID,
    SKU_METER,
    SKU_PRICE_DETAILS,
    SKU_PRICE_ID,
    SUB_ACCOUNT_ID,
    SUB_ACCOUNT_NAME,
    SUB_ACCOUNT_TYPE,
    TAGS,
];
