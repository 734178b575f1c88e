use super::connect::{redact, target};
use super::schema::valid_schema_name;
use super::ClusterError;

#[test]
fn schema_names_are_plain_lower_case_identifiers() {
    // 54: the longest whose notification channel (tickflow_<schema>) fits in 63.
    for ok in ["tickflow", "_t", "tf_2", &"a".repeat(54)] {
        assert!(valid_schema_name(ok), "{ok}");
    }
    for bad in [
        "",
        "Tickflow",
        "1abc",
        "a-b",
        "a\"b",
        "pg_catalog",
        &"a".repeat(55),
        &"a".repeat(63),
        &"a".repeat(64),
    ] {
        assert!(!valid_schema_name(bad), "{bad}");
    }
}

#[test]
fn connection_strings_are_checked_before_any_connection() {
    assert!(
        matches!(target("postgres://u@localhost:5432/db"), Ok(t) if t.label == "localhost:5432/db")
    );
    assert!(target("host=/tmp user=x dbname=y").is_ok());
    // libpq's verify modes are accepted (rustls checks the certificate).
    assert!(target("postgres://u@h/db?sslmode=verify-full").is_ok());
    assert!(target("postgres://u@h/db?sslmode=require").is_ok());
    for bad in [
        "postgres://u@h/db?sslmode=sometimes",
        "postgres://[::1/db",
        "user=x",
    ] {
        let err = target(bad).err().expect(bad);
        assert!(matches!(err, ClusterError::Config(_)), "{bad}: {err:?}");
        assert_eq!(err.code(), "ERR_STORE_CONFIG");
    }
}

#[test]
fn passwords_are_redacted_in_every_form_libpq_reads() {
    for (text, shown) in [
        (
            "postgres://app@host/db?password=s3cret",
            "postgres://app@host/db?password=***",
        ),
        (
            "postgres://:s3cret@host/db?user=a",
            "postgres://:***@host/db?user=a",
        ),
        (
            "postgresql://u:p%2Fw%40d@host:5432/db",
            "postgresql://u:***@host:5432/db",
        ),
        ("postgres://u:pa/ss@host/db", "postgres://u:***@host/db"),
        (
            "postgres://u:pa@ss@host/db?sslmode=require",
            "postgres://u:***@host/db?sslmode=require",
        ),
        (
            "postgres://u@h/db?pass%77ord=s3cret&x=1",
            "postgres://u@h/db?pass%77ord=***&x=1",
        ),
        (
            "host=h password=s3cret dbname=d",
            "host=h password=*** dbname=d",
        ),
        (
            "host=h password = 's3 \\' cret' dbname=d",
            "host=h password = *** dbname=d",
        ),
        ("postgres://u@h/db", "postgres://u@h/db"),
    ] {
        assert_eq!(redact(text), shown, "{text}");
    }
}
