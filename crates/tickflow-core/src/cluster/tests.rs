use super::connect::target;
use super::schema::valid_schema_name;
use super::ClusterError;

#[test]
fn schema_names_are_plain_lower_case_identifiers() {
    for ok in ["tickflow", "_t", "tf_2", &"a".repeat(63)] {
        assert!(valid_schema_name(ok), "{ok}");
    }
    for bad in [
        "",
        "Tickflow",
        "1abc",
        "a-b",
        "a\"b",
        "pg_catalog",
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
