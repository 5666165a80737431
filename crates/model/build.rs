//! Turns libphonenumber's metadata (`data/PhoneNumberMetadata.xml`, the copy the `phonenumber`
//! crate ships, Apache-2.0) into the `phonenumber` loader's records, serialised, so that
//! `rapport_model::phone` can build a database for one country calling code at a time (the
//! crate's own database checks every pattern of every country when it is first used, which
//! took a whole command's time budget).

use std::io::BufReader;

fn main() {
    let xml = "data/PhoneNumberMetadata.xml";
    println!("cargo:rerun-if-changed={xml}");
    let file = std::fs::File::open(xml).unwrap_or_else(|e| panic!("{xml}: {e}"));
    let records = phonenumber::metadata::loader::load(BufReader::new(file))
        .unwrap_or_else(|e| panic!("{xml}: {e}"));
    let bytes = postcard::to_stdvec(&records).unwrap_or_else(|e| panic!("{xml}: {e}"));
    let out_dir = std::env::var("OUT_DIR").unwrap_or_else(|e| panic!("OUT_DIR: {e}"));
    let out = std::path::Path::new(&out_dir).join("phone-metadata.bin");
    std::fs::write(&out, bytes).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}
