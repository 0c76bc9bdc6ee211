use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn read(text: &str) -> Result<(Costs, Dialect), BillingError> {
    let mut c = Costs::default();
    let dialect = c.read_csv(
        text.as_bytes(),
        "bill.csv",
        d("2026-01-01"),
        d("2026-04-01"),
    )?;
    Ok((c, dialect))
}

#[test]
fn cur2_with_a_tag_map() {
    let text = "line_item_resource_id,line_item_usage_start_date,line_item_unblended_cost,line_item_line_item_type,line_item_currency_code,resource_tags\n\
i-1,2026-01-03T00:00:00Z,1.5,Usage,USD,\"{\"\"user_map_migrated\"\":\"\"migABCDE12345\"\"}\"\n\
i-1,2026-02-03T00:00:00Z,2.5,DiscountedUsage,USD,\"{\"\"user_map_migrated\"\":\"\"migABCDE12345\"\"}\"\n\
i-1,2026-02-03T00:00:00Z,-1.0,Credit,USD,\n\
i-1,2026-02-03T00:00:00Z,0.4,Tax,USD,\n\
vol-2,2026-03-31T23:00:00Z,7,Usage,USD,{}\n\
vol-2,2026-04-01T00:00:00Z,100,Usage,USD,{}\n\
,2026-03-01T00:00:00Z,9,Usage,USD,\n";
    let (c, dialect) = read(text).unwrap();
    assert_eq!(dialect, Dialect::Cur2);
    assert_eq!(
        c.by_resource["i-1"],
        ResourceCost {
            cost: 4.0,
            tag: Some("migABCDE12345".into())
        }
    );
    assert_eq!(
        c.by_resource["vol-2"],
        ResourceCost {
            cost: 7.0,
            tag: None
        },
        "April is outside the period"
    );
    assert_eq!(
        (c.rows, c.usage_rows, c.currency.as_deref()),
        (7, 3, Some("USD"))
    );
}

#[test]
fn legacy_cur_with_a_tag_column() {
    let text = "lineItem/ResourceId,lineItem/UsageStartDate,lineItem/UnblendedCost,lineItem/LineItemType,resourceTags/user:map-migrated\n\
arn:aws:rds:us-east-1:111111111111:db:orders,2026-01-05T00:00:00Z,10,Usage,\n\
arn:aws:rds:us-east-1:111111111111:db:orders,2026-01-06T00:00:00Z,5,SavingsPlanCoveredUsage,mig12345\n";
    let (c, dialect) = read(text).unwrap();
    assert_eq!(dialect, Dialect::LegacyCur);
    let db = c
        .of("arn:aws:rds:us-east-1:111111111111:db:orders")
        .unwrap();
    assert_eq!((db.cost, db.tag.as_deref()), (15.0, Some("mig12345")));
}

#[test]
fn focus_with_tags() {
    let text = "ResourceId,ChargePeriodStart,BilledCost,ChargeCategory,BillingCurrency,Tags\n\
my-bucket,2026-02-01T00:00:00Z,3.25,Usage,EUR,\"{\"\"user:map-migrated\"\": \"\"migABCDE12345\"\"}\"\n\
my-bucket,2026-02-01T00:00:00Z,1,Purchase,EUR,\n";
    let (c, dialect) = read(text).unwrap();
    assert_eq!(dialect, Dialect::Focus);
    let bucket = c
        .of("arn:aws:s3:::my-bucket")
        .expect("a bare id matches the ARN's last part");
    assert_eq!(
        (bucket.cost, bucket.tag.as_deref()),
        (3.25, Some("migABCDE12345"))
    );
    assert_eq!(c.currency.as_deref(), Some("EUR"));
}

#[test]
fn errors_name_the_file_and_row() {
    let err = |text: &str| read(text).unwrap_err().to_string();
    assert_eq!(
        err("a,b\n1,2\n"),
        "bill.csv: not a billing export tagwarden reads (CUR 2.0, legacy CUR or FOCUS): no `ResourceId` column among a, b"
    );
    assert_eq!(
        err("ResourceId,ChargePeriodStart,BilledCost\nr,2026-01-01,ten\n"),
        "bill.csv: line 2: cost `ten` is not a number"
    );
    assert_eq!(
        err("ResourceId,ChargePeriodStart,BilledCost\nr,yesterday,1\n"),
        "bill.csv: line 2: `yesterday` is not a date"
    );
    assert_eq!(
        err("ResourceId,ChargePeriodStart,BilledCost,BillingCurrency\nr,2026-01-01,1,USD\nr,2026-01-01,1,EUR\n"),
        "bill.csv: mixes currencies (USD and EUR); tagwarden does not convert"
    );
}
