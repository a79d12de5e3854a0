//! The normalized cost row ([`CostRow`]), the typed values of the FOCUS columns with fixed allowed values, and the sub-account key ([`sub_account_key`]).
//!
//! `CostRow` has one field per FOCUS 1.0 column, in the order of [`FocusVersion::V1_0`](crate::FocusVersion::V1_0)'s table, plus the columns of later versions as text,
//! the provider's `x_` columns as text, and the tags as sorted key/value pairs.
//! A field is an `Option` wherever a FOCUS file may leave the column null or a converter cannot fill it;
//! the fields that every row has (the costs that are summed, the currency, the periods, the billing account and the charge category) are not.
//! Every field maps onto one Arrow column of the cost store ([`crate::store`]): `String` to Utf8, `Decimal` to Decimal128, `DateTime<Utc>` to a UTC timestamp,
//! the enums to Utf8 through `as_str` (Parquet dictionary-encodes them), and the key/value lists to Map columns.
//!
//! The row is a plain value: it does not know where it came from and it does not validate itself; the reader does that.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// Declares a FOCUS column's closed set of values as an enum with `VALUES`, `as_str` and `parse`.
macro_rules! focus_values {
    ($(#[$meta:meta])* $name:ident { $($(#[$variant_meta:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $($(#[$variant_meta])* $variant,)+
        }

        impl $name {
            /// Lists every value, in the specification's order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// Lists every value as the specification spells it.
            pub const VALUES: &'static [&'static str] = &[$($text,)+];

            /// Returns the value as the specification spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Parses a value as the specification spells it (case-sensitive).
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

focus_values! {
    /// The `ChargeCategory` column: the highest-level classification of a charge.
    ChargeCategory {
        /// Charges for the consumption of a service or resource.
        Usage => "Usage",
        /// Charges for acquiring a service or resource upfront or on a recurring basis.
        Purchase => "Purchase",
        /// Taxes levied by the relevant authorities.
        Tax => "Tax",
        /// Credits applied to the billing account.
        Credit => "Credit",
        /// Other after-the-fact changes to charges.
        Adjustment => "Adjustment",
    }
}

focus_values! {
    /// The `ChargeClass` column: whether the row corrects a previously invoiced billing period (null otherwise).
    ChargeClass {
        /// A correction to a previously invoiced billing period.
        Correction => "Correction",
    }
}

focus_values! {
    /// The `ChargeFrequency` column: how often a charge occurs.
    ChargeFrequency {
        /// Charges that happen once.
        OneTime => "One-Time",
        /// Charges that repeat on a periodic cadence, used or not.
        Recurring => "Recurring",
        /// Charges that repeat every time the service is used.
        UsageBased => "Usage-Based",
    }
}

focus_values! {
    /// The `PricingCategory` column: the pricing model of a charge.
    PricingCategory {
        /// The agreed rate of the billing account, including negotiated discounts.
        Standard => "Standard",
        /// A variable rate set by the provider (spot, low priority).
        Dynamic => "Dynamic",
        /// A rate reduced by a commitment discount.
        Committed => "Committed",
        /// Any other pricing model.
        Other => "Other",
    }
}

focus_values! {
    /// The `CommitmentDiscountStatus` column: whether a charge consumed a commitment discount or is its unused part.
    CommitmentDiscountStatus {
        /// The charge consumed the commitment discount.
        Used => "Used",
        /// The charge is the unused part of the commitment discount.
        Unused => "Unused",
    }
}

focus_values! {
    /// The `CommitmentDiscountCategory` column: whether a commitment discount commits to spend or to usage.
    CommitmentDiscountCategory {
        /// A commitment to an amount of spend (for example a savings plan).
        Spend => "Spend",
        /// A commitment to an amount of usage (for example a reservation).
        Usage => "Usage",
    }
}

focus_values! {
    /// The `ServiceCategory` column: the highest-level classification of a service (the same list in FOCUS 0.5 to 1.3).
    ServiceCategory {
        /// Artificial intelligence and machine learning.
        AiAndMachineLearning => "AI and Machine Learning",
        /// Data processing, analytics and visualization.
        Analytics => "Analytics",
        /// Business and productivity applications.
        BusinessApplications => "Business Applications",
        /// Virtual, containerized, serverless or high-performance computing.
        Compute => "Compute",
        /// Database platforms.
        Databases => "Databases",
        /// Software development and delivery tools.
        DeveloperTools => "Developer Tools",
        /// Interworking of several clouds or on-premises environments.
        Multicloud => "Multicloud",
        /// Identity and access management.
        Identity => "Identity",
        /// Services that let applications interact.
        Integration => "Integration",
        /// IoT devices and networks.
        InternetOfThings => "Internet of Things",
        /// Management, logging and observability.
        ManagementAndGovernance => "Management and Governance",
        /// Media streaming and processing.
        Media => "Media",
        /// Moving applications and data to the cloud.
        Migration => "Migration",
        /// Mobile technologies.
        Mobile => "Mobile",
        /// Network connectivity and management.
        Networking => "Networking",
        /// Security monitoring and compliance.
        Security => "Security",
        /// Storage of structured or unstructured data.
        Storage => "Storage",
        /// Services reached over the Internet.
        Web => "Web",
        /// Services that fit no other category.
        Other => "Other",
    }
}

/// One charge, normalized: a FOCUS row as read from a FOCUS file or converted from a provider export.
///
/// Field names follow the FOCUS column ids (`billed_cost` is `BilledCost`); the docs name the column only where it differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostRow {
    /// `AvailabilityZone`.
    pub availability_zone: Option<String>,
    /// `BilledCost`, in `billing_currency`.
    pub billed_cost: Decimal,
    /// `BillingAccountId`.
    pub billing_account_id: String,
    /// `BillingAccountName`.
    pub billing_account_name: Option<String>,
    /// `BillingCurrency` (`BilledCurrency` in FOCUS 0.5).
    pub billing_currency: String,
    /// `BillingPeriodEnd`, exclusive.
    pub billing_period_end: DateTime<Utc>,
    /// `BillingPeriodStart`, inclusive.
    pub billing_period_start: DateTime<Utc>,
    /// `ChargeCategory` (`ChargeType` in FOCUS 0.5).
    pub charge_category: ChargeCategory,
    /// `ChargeClass`.
    pub charge_class: Option<ChargeClass>,
    /// `ChargeDescription`.
    pub charge_description: Option<String>,
    /// `ChargeFrequency`.
    pub charge_frequency: Option<ChargeFrequency>,
    /// `ChargePeriodEnd`, exclusive.
    pub charge_period_end: DateTime<Utc>,
    /// `ChargePeriodStart`, inclusive.
    pub charge_period_start: DateTime<Utc>,
    /// `CommitmentDiscountCategory`.
    pub commitment_discount_category: Option<CommitmentDiscountCategory>,
    /// `CommitmentDiscountId`.
    pub commitment_discount_id: Option<String>,
    /// `CommitmentDiscountName`.
    pub commitment_discount_name: Option<String>,
    /// `CommitmentDiscountStatus`.
    pub commitment_discount_status: Option<CommitmentDiscountStatus>,
    /// `CommitmentDiscountType` (provider-defined text).
    pub commitment_discount_type: Option<String>,
    /// `ConsumedQuantity`.
    pub consumed_quantity: Option<Decimal>,
    /// `ConsumedUnit`.
    pub consumed_unit: Option<String>,
    /// `ContractedCost` (none when a converter has no source for it).
    pub contracted_cost: Option<Decimal>,
    /// `ContractedUnitPrice`.
    pub contracted_unit_price: Option<Decimal>,
    /// `EffectiveCost` (`AmortizedCost` in FOCUS 0.5).
    pub effective_cost: Decimal,
    /// `InvoiceIssuerName` (`InvoiceIssuer` in FOCUS 0.5).
    pub invoice_issuer_name: Option<String>,
    /// `ListCost` (none when a converter has no source for it).
    pub list_cost: Option<Decimal>,
    /// `ListUnitPrice`.
    pub list_unit_price: Option<Decimal>,
    /// `PricingCategory`.
    pub pricing_category: Option<PricingCategory>,
    /// `PricingQuantity`.
    pub pricing_quantity: Option<Decimal>,
    /// `PricingUnit`.
    pub pricing_unit: Option<String>,
    /// `ProviderName` (`Provider` in FOCUS 0.5).
    pub provider_name: Option<String>,
    /// `PublisherName` (`Publisher` in FOCUS 0.5).
    pub publisher_name: Option<String>,
    /// `RegionId` (`Region` in FOCUS 0.5).
    pub region_id: Option<String>,
    /// `RegionName`.
    pub region_name: Option<String>,
    /// `ResourceId` (`ResourceID` in FOCUS 0.5).
    pub resource_id: Option<String>,
    /// `ResourceName`.
    pub resource_name: Option<String>,
    /// `ResourceType`.
    pub resource_type: Option<String>,
    /// `ServiceCategory`.
    pub service_category: Option<ServiceCategory>,
    /// `ServiceName`.
    pub service_name: Option<String>,
    /// `SkuId`.
    pub sku_id: Option<String>,
    /// `SkuPriceId`.
    pub sku_price_id: Option<String>,
    /// `SubAccountId`.
    pub sub_account_id: Option<String>,
    /// `SubAccountName`.
    pub sub_account_name: Option<String>,
    /// `Tags`, parsed once: key/value pairs sorted by key, keys unique.
    /// Non-string JSON values keep their JSON spelling (`true`, `12`); a JSON null becomes the empty string.
    pub tags: Vec<(String, String)>,
    /// The non-null columns of FOCUS 1.1 and later that have no field above (for example `ServiceSubcategory`), as text, sorted by column name.
    pub later_focus_columns: Vec<(&'static str, String)>,
    /// The non-null provider columns (`x_` prefix), as text, sorted by column name.
    pub x_columns: Vec<(Arc<str>, String)>,
}

impl CostRow {
    /// Returns the value of tag `key`, if the row has it.
    pub fn tag(&self, key: &str) -> Option<&str> {
        self.tags
            .binary_search_by(|(tag_key, _)| tag_key.as_str().cmp(key))
            .ok()
            .and_then(|tag_idx| self.tags.get(tag_idx))
            .map(|(_, value)| value.as_str())
    }

    /// Returns the value of the provider column `name` (with its `x_` prefix), if the row has it.
    pub fn x_column(&self, name: &str) -> Option<&str> {
        self.x_columns
            .binary_search_by(|(column, _)| column.as_ref().cmp(name))
            .ok()
            .and_then(|column_idx| self.x_columns.get(column_idx))
            .map(|(_, value)| value.as_str())
    }

    /// Returns the value of a FOCUS 1.1+ column that has no field of its own, if the row has it.
    pub fn later_focus_column(&self, name: &str) -> Option<&str> {
        self.later_focus_columns
            .binary_search_by(|(column, _)| (*column).cmp(name))
            .ok()
            .and_then(|column_idx| self.later_focus_columns.get(column_idx))
            .map(|(_, value)| value.as_str())
    }
}

/// The sub-account a charge belongs to, in a form that compares equal across exports.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SubAccountKey {
    /// An Azure subscription, as its GUID in lowercase (`8-4-4-4-12` hex digits).
    AzureSubscription(String),
    /// An AWS account, as its 12 digits.
    AwsAccount(String),
    /// A sub-account id that is neither, as given.
    Other(String),
    /// The row names no sub-account.
    None,
}

/// Returns the sub-account of a row.
///
/// The rules, in order:
///
/// 1. `SubAccountId` that is a GUID, or an ARM id starting `/subscriptions/{guid}` (as Azure's FOCUS export writes it), is an Azure subscription.
/// 2. `SubAccountId` of exactly 12 digits is an AWS account.
///    So is one of 1 to 11 digits when `ProviderName` is `AWS` or `Amazon Web Services`: spreadsheets drop the leading zeros of account ids, and we put them back.
/// 3. Otherwise a `ResourceId` of the form `/subscriptions/{guid}/...` gives the Azure subscription,
///    and an ARN (`arn:{partition}:{service}:{region}:{account}:...`) with a 12-digit account gives the AWS account.
/// 4. Otherwise a non-empty `SubAccountId` is kept as given, and a row without one has no key.
pub fn sub_account_key(row: &CostRow) -> SubAccountKey {
    if let Some(sub_account_id) = row
        .sub_account_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
    {
        if let Some(guid) =
            guid_of(sub_account_id).or_else(|| subscription_of_arm_id(sub_account_id))
        {
            return SubAccountKey::AzureSubscription(guid);
        }
        if is_aws_account(sub_account_id) {
            return SubAccountKey::AwsAccount(sub_account_id.to_owned());
        }
        let aws = row.provider_name.as_deref().is_some_and(|provider| {
            provider.eq_ignore_ascii_case("AWS")
                || provider.eq_ignore_ascii_case("Amazon Web Services")
        });
        if aws
            && (1..12).contains(&sub_account_id.len())
            && sub_account_id.bytes().all(|b| b.is_ascii_digit())
        {
            return SubAccountKey::AwsAccount(format!("{sub_account_id:0>12}"));
        }
    }
    if let Some(resource_id) = row.resource_id.as_deref().map(str::trim) {
        if let Some(guid) = subscription_of_arm_id(resource_id) {
            return SubAccountKey::AzureSubscription(guid);
        }
        if let Some(account) = account_of_arn(resource_id) {
            return SubAccountKey::AwsAccount(account.to_owned());
        }
    }
    match row
        .sub_account_id
        .as_deref()
        .map(str::trim)
        .filter(|id| !id.is_empty())
    {
        Some(sub_account_id) => SubAccountKey::Other(sub_account_id.to_owned()),
        None => SubAccountKey::None,
    }
}

/// Returns `text` in lowercase if it is a GUID in the `8-4-4-4-12` form.
fn guid_of(text: &str) -> Option<String> {
    let groups: Vec<&str> = text.split('-').collect();
    let lengths_ok =
        groups.len() == 5 && groups.iter().map(|group| group.len()).eq([8, 4, 4, 4, 12]);
    let digits_ok = groups
        .iter()
        .all(|group| group.bytes().all(|b| b.is_ascii_hexdigit()));
    (lengths_ok && digits_ok).then(|| text.to_ascii_lowercase())
}

/// Returns the subscription GUID of an ARM id that starts with `/subscriptions/{guid}` (case-insensitive).
fn subscription_of_arm_id(text: &str) -> Option<String> {
    let mut segments = text.strip_prefix('/')?.split('/');
    let keyword = segments.next()?;
    if !keyword.eq_ignore_ascii_case("subscriptions") {
        return None;
    }
    guid_of(segments.next()?)
}

/// Returns whether `text` is exactly 12 ASCII digits.
fn is_aws_account(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Returns the account of an ARN (`arn:partition:service:region:account:resource`), if it is 12 digits.
fn account_of_arn(text: &str) -> Option<&str> {
    let mut parts = text.split(':');
    if parts.next()? != "arn" {
        return None;
    }
    let account = parts.nth(3)?;
    is_aws_account(account).then_some(account)
}
