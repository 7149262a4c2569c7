//! UI numbers, case numbers, passport numbers, emails, nationalities and the closed code
//! sets: whatever the text, parsing answers a value or an error, never a panic, and a
//! value parsed once parses again to itself.
#![no_main]

use goldcard_domain::{
    CaseNumber, Email, FieldCode, Filer, Gender, Nationality, PassportNumber, UiNumber, ValidityYears,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Ok(ui) = UiNumber::parse(input) {
        assert_eq!(UiNumber::parse(ui.as_str()).ok().as_ref(), Some(&ui));
    }
    if let Ok(n) = CaseNumber::parse(input) {
        assert_eq!(CaseNumber::parse(n.as_str()).ok().as_ref(), Some(&n));
    }
    if let Ok(p) = PassportNumber::parse(input) {
        assert_eq!(PassportNumber::parse(p.as_str()).ok().as_ref(), Some(&p));
    }
    if let Ok(e) = Email::parse(input) {
        assert_eq!(Email::parse(e.as_str()).ok().as_ref(), Some(&e));
    }
    let _ = Nationality::parse(input);
    let _ = Gender::parse(input);
    let _ = Filer::parse(input);
    let _ = FieldCode::parse(input);
    let _ = input.parse::<ValidityYears>();
});
