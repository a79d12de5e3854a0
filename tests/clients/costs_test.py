"""Drives Leitstand's cost API with Microsoft's own Python SDK (azure-mgmt-costmanagement 5.0).

Run by run_against.sh with the `.venv-sdk` interpreter, after the FOCUS 1.0 sample was ingested
into the tenant and AWS account 011353890204 (one of the sample's) was onboarded:

    LEITSTAND_URL, LEITSTAND_TENANT, LEITSTAND_CLIENT_ID, LEITSTAND_CLIENT_SECRET,
    REQUESTS_CA_BUNDLE                              as for sdk_test.py
    LEITSTAND_FOCUS_SAMPLE=<path of focus_1.0_sample_1000rows.csv>
    LEITSTAND_COST_ACCOUNT=011353890204

The expected sums are computed here from the sample file with Python's `decimal`, so the
check does not share code with the server. Client facts: CostManagementClient sends
api-version 2025-03-01 and puts `{scope}` into the path as is (a leading `/` doubles the slash).
"""

import csv
import datetime
import decimal
import os
import sys

from azure.core.exceptions import HttpResponseError
from azure.identity import ClientSecretCredential
from azure.mgmt.costmanagement import CostManagementClient
from azure.mgmt.costmanagement import models as cm
from azure.mgmt.consumption import ConsumptionManagementClient
from azure.mgmt.consumption import models as cons


class CheckFailed(Exception):
    pass


def ok(what):
    print(f"ok    {what}", flush=True)


def check(condition, what, detail=""):
    if not condition:
        raise CheckFailed(f"{what}: {detail}" if detail else what)
    ok(what)


def expected_sums(path):
    """BilledCost and EffectiveCost of the sample, in all and per sub-account (leading zeros back)."""
    billed = decimal.Decimal(0)
    effective = decimal.Decimal(0)
    by_account = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            value = decimal.Decimal(row["BilledCost"] or 0)
            billed += value
            effective += decimal.Decimal(row["EffectiveCost"] or 0)
            account = row["SubAccountId"]
            if account.isdigit() and len(account) < 12:
                account = account.rjust(12, "0")
            by_account[account] = by_account.get(account, decimal.Decimal(0)) + value
    return billed, effective, by_account


def query(client, scope, kind, grouping=None, granularity=None, query_filter=None):
    definition = cm.QueryDefinition(
        type=kind,
        timeframe="Custom",
        time_period=cm.QueryTimePeriod(
            from_property=datetime.datetime(2024, 8, 1, tzinfo=datetime.timezone.utc),
            to=datetime.datetime(2024, 10, 31, tzinfo=datetime.timezone.utc),
        ),
        dataset=cm.QueryDataset(
            granularity=granularity,
            aggregation={"totalCost": cm.QueryAggregation(name="Cost", function="Sum")},
            grouping=grouping,
            filter=query_filter,
        ),
    )
    return client.query.usage(scope, definition)


def check_budgets(credential, url, account):
    """azure-mgmt-consumption 11 (api-version 2024-08-01) creates, reads, lists and deletes a budget."""
    client = ConsumptionManagementClient(credential, account, base_url=url, credential_scopes=[f"{url}/.default"])
    scope = f"/subscriptions/{account}"
    start = datetime.datetime.now(datetime.timezone.utc).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    budget = cons.Budget(
        category="Cost",
        amount=500,
        time_grain="Monthly",
        time_period=cons.BudgetTimePeriod(start_date=start),
        notifications={
            "actual90": cons.Notification(enabled=True, operator="GreaterThan", threshold=90,
                                          contact_emails=["owner@customer.example"], threshold_type="Actual"),
            "forecast100": cons.Notification(enabled=True, operator="GreaterThanOrEqualTo", threshold=100,
                                             contact_emails=["owner@customer.example"], threshold_type="Forecasted"),
        },
    )
    created = client.budgets.create_or_update(scope, "sdk-budget", budget)
    check(created.name == "sdk-budget" and float(created.amount) == 500.0,
          "azure-mgmt-consumption creates a budget on the AWS account", f"got {created!r}")
    got = client.budgets.get(scope, "sdk-budget")
    check(set(got.notifications) == {"actual90", "forecast100"} and got.time_grain == "Monthly",
          "and reads it back with its notifications", f"got {got!r}")
    check(got.current_spend is not None and got.current_spend.amount is not None,
          "with its current spend filled in", f"got {got.current_spend!r}")
    names = [b.name for b in client.budgets.list(scope)]
    check("sdk-budget" in names, "the budget is listed at its scope", f"got {names}")
    try:
        client.budgets.create_or_update(scope, "sdk-bad", cons.Budget(
            category="Cost", amount=5, time_grain="Monthly",
            time_period=cons.BudgetTimePeriod(start_date=start.replace(day=2))))
    except HttpResponseError as error:
        check(error.status_code == 400, "a budget starting on the 2nd is refused with 400",
              f"got {error.status_code}: {error.message}")
    else:
        raise CheckFailed("a budget starting on the 2nd of a month was accepted")
    client.budgets.delete(scope, "sdk-budget")
    names = [b.name for b in client.budgets.list(scope)]
    check("sdk-budget" not in names, "the budget is deleted", f"got {names}")


def run():
    url = os.environ["LEITSTAND_URL"]
    tenant = os.environ["LEITSTAND_TENANT"]
    account = os.environ["LEITSTAND_COST_ACCOUNT"]
    billed, effective, by_account = expected_sums(os.environ["LEITSTAND_FOCUS_SAMPLE"])
    credential = ClientSecretCredential(
        tenant,
        os.environ["LEITSTAND_CLIENT_ID"],
        os.environ["LEITSTAND_CLIENT_SECRET"],
        authority=url,
        disable_instance_discovery=True,
    )
    client = CostManagementClient(
        credential, base_url=url, credential_scopes=[f"{url}/.default"]
    )

    root = f"/providers/Microsoft.Management/managementGroups/{tenant}"
    result = query(client, root, "ActualCost")
    names = [c.name for c in result.columns]
    check(names == ["Cost", "Currency"], "the query answers the columns Cost and Currency", f"got {names}")
    total = decimal.Decimal(str(result.rows[0][0]))
    check(abs(total - billed) < decimal.Decimal("0.000001"),
          f"the root group's actual cost is the sample's BilledCost ({billed})", f"got {total}")
    check(result.rows[0][1] == "USD", "in USD", f"got {result.rows[0][1]}")

    amortized = query(client, root, "AmortizedCost")
    got = decimal.Decimal(str(amortized.rows[0][0]))
    check(abs(got - effective) < decimal.Decimal("0.000001"),
          f"the amortized cost is the sample's EffectiveCost ({effective})", f"got {got}")

    at_account = query(client, f"/subscriptions/{account}", "ActualCost")
    got = decimal.Decimal(str(at_account.rows[0][0]))
    check(abs(got - by_account[account]) < decimal.Decimal("0.000001"),
          f"AWS account {account}'s cost is its rows' BilledCost ({by_account[account]})", f"got {got}")

    daily = query(client, root, "ActualCost",
                  grouping=[cm.QueryGrouping(type="Dimension", name="ServiceCategory")],
                  granularity="Daily")
    names = [c.name for c in daily.columns]
    check(names == ["Cost", "UsageDate", "ServiceCategory", "Currency"],
          "a daily query grouped by service category answers Cost, UsageDate, ServiceCategory, Currency",
          f"got {names}")
    got = sum(decimal.Decimal(str(r[0])) for r in daily.rows)
    check(abs(got - billed) < decimal.Decimal("0.00001"),
          f"its {len(daily.rows)} rows add up to the total", f"got {got}")

    filtered = query(client, root, "ActualCost",
                     query_filter=cm.QueryFilter(dimensions=cm.QueryComparisonExpression(
                         name="SubscriptionId", operator="In", values_property=[account])))
    got = decimal.Decimal(str(filtered.rows[0][0]))
    check(abs(got - by_account[account]) < decimal.Decimal("0.000001"),
          f"a filter on SubscriptionId {account} answers that account's cost", f"got {got}")

    check_budgets(credential, url, account)

    try:
        query(client, root, "ActualCost",
              grouping=[cm.QueryGrouping(type="Dimension", name="NoSuchDimension")])
    except HttpResponseError as error:
        check(error.status_code == 400 and "NoSuchDimension" in (error.message or ""),
              "an unknown dimension is refused with 400 naming it", f"got {error.status_code}: {error.message}")
    else:
        raise CheckFailed("an unknown dimension was accepted")


def main():
    try:
        run()
    except CheckFailed as failure:
        print(f"FAIL  {failure}", file=sys.stderr, flush=True)
        sys.exit(1)
    except HttpResponseError as error:
        request = getattr(error.response, "request", None)
        where = f" on {request.method} {request.url}" if request is not None else ""
        print(f"FAIL  unexpected HTTP {error.status_code}{where}: {error.message}", file=sys.stderr, flush=True)
        sys.exit(1)
    print("costs_test.py: all checks passed", flush=True)


if __name__ == "__main__":
    main()
