//! Reading, matching and showing ordinary numbers never loads the `phonenumber` crate's whole
//! database (over 100 ms per process: every pattern of every country is checked when it is
//! first used); each number is read with its own calling code's data.

use rapport_model::phone::{Region, canonical, display, key};

#[test]
fn ordinary_numbers_never_load_the_whole_database() {
    let cn = Some(Region::parse("CN").unwrap());
    let de = Some(Region::parse("DE").unwrap());
    for (raw, region) in [
        ("13812345678", cn),
        ("+86 138 1234 5678", None),
        ("+49 30 1234567", cn),
        ("030 1234567", de),
        ("tel:+1-418-656-9254;ext=102", de),
        ("+81 3-1234-5678", cn),
        ("pager", cn),
    ] {
        let _ = (
            canonical(raw, region),
            key(raw, region),
            display(raw, region),
        );
    }
    assert_eq!(display("13812345678", cn), "138 1234 5678");
    assert!(
        once_cell::sync::Lazy::get(&phonenumber::metadata::DATABASE).is_none(),
        "the whole database was loaded"
    );
}
