//! `sub_account_key`: Azure subscriptions and AWS accounts from the sub-account id or, failing that, from the resource id.

use leitstand_finops::{sub_account_key, CostReader, CostRow, ReadOptions, SubAccountKey};

use crate::common::shared;

/// A real row to vary: the first row of the FOCUS 1.0 sample.
fn row(
    sub_account_id: Option<&str>,
    resource_id: Option<&str>,
    provider_name: Option<&str>,
) -> CostRow {
    let mut reader = CostReader::open(
        shared("focus_1.0_sample_1000rows.csv"),
        ReadOptions::default(),
    )
    .unwrap();
    let mut row = reader.next().unwrap().unwrap();
    row.sub_account_id = sub_account_id.map(str::to_owned);
    row.resource_id = resource_id.map(str::to_owned);
    row.provider_name = provider_name.map(str::to_owned);
    row
}

fn azure(guid: &str) -> SubAccountKey {
    SubAccountKey::AzureSubscription(guid.to_owned())
}

fn aws(account: &str) -> SubAccountKey {
    SubAccountKey::AwsAccount(account.to_owned())
}

#[test]
fn azure_subscriptions_come_from_a_guid_or_an_arm_id() {
    let guid = "64e355d7-997c-491d-b0c1-8414dccfcf42";
    assert_eq!(
        sub_account_key(&row(
            Some("64E355D7-997C-491D-B0C1-8414DCCFCF42"),
            None,
            None
        )),
        azure(guid),
        "lowercased"
    );
    assert_eq!(
        sub_account_key(&row(
            Some("/subscriptions/64e355d7-997c-491d-b0c1-8414dccfcf42"),
            None,
            None
        )),
        azure(guid)
    );
    let resource_id = "/SUBSCRIPTIONS/64e355d7-997c-491d-b0c1-8414dccfcf42/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1";
    assert_eq!(
        sub_account_key(&row(None, Some(resource_id), None)),
        azure(guid),
        "from the resource id"
    );
    assert_eq!(
        sub_account_key(&row(Some("Production"), Some(resource_id), None)),
        azure(guid),
        "a name is no key, the resource id is"
    );
}

#[test]
fn aws_accounts_come_from_twelve_digits_or_an_arn() {
    assert_eq!(
        sub_account_key(&row(Some("012345678901"), None, None)),
        aws("012345678901")
    );
    assert_eq!(
        sub_account_key(&row(Some("12345678901"), None, Some("AWS"))),
        aws("012345678901"),
        "leading zero restored"
    );
    assert_eq!(
        sub_account_key(&row(Some("12345678901"), None, Some("Microsoft"))),
        SubAccountKey::Other("12345678901".to_owned())
    );
    let arn = "arn:aws:ec2:eu-central-1:210987654321:instance/i-0abc";
    assert_eq!(
        sub_account_key(&row(None, Some(arn), None)),
        aws("210987654321")
    );
    assert_eq!(
        sub_account_key(&row(None, Some("arn:aws:s3:::my-bucket"), None)),
        SubAccountKey::None,
        "S3 ARNs carry no account"
    );
}

#[test]
fn anything_else_is_kept_or_absent() {
    assert_eq!(
        sub_account_key(&row(Some("ocid1.tenancy.oc1..aaaa"), None, Some("Oracle"))),
        SubAccountKey::Other("ocid1.tenancy.oc1..aaaa".to_owned())
    );
    assert_eq!(
        sub_account_key(&row(Some("f908573f-1142-4b3c-999999999999"), None, None)),
        SubAccountKey::Other("f908573f-1142-4b3c-999999999999".to_owned())
    );
    assert_eq!(sub_account_key(&row(None, None, None)), SubAccountKey::None);
    assert_eq!(
        sub_account_key(&row(Some("  "), Some("i-0abc"), None)),
        SubAccountKey::None
    );
}
