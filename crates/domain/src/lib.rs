//! The rules of Employment Gold Card extensions, as pure code.
//!
//! - identifiers that validate when parsed ([`UiNumber`], [`CaseNumber`], [`PassportNumber`],
//!   [`Email`], [`Nationality`], [`ValidityYears`]) and closed code sets ([`Gender`],
//!   [`Filer`], [`FieldCode`]): once a value exists it is valid;
//! - the calendar rules, all in Asia/Taipei dates ([`FilingWindow`],
//!   [`passport_valid_for_filing`], [`new_expiry`], [`supplement_due_on`],
//!   [`WorkingCalendar`]) and the [`Clock`];
//! - the extension filing and its validation ([`filing`]: [`RawExtension`] in,
//!   [`ExtensionFiling`] or every [`FieldError`] out);
//! - the card import file ([`card_csv`]: CSV rows in, checked [`card_csv::CardRow`]s or
//!   every bad row out);
//! - the data read from `seeds/`: [`FeeTable`], [`Catalog`], holidays ([`WorkingCalendar`]).
//!
//! No I/O: the seed files are passed in as text.

// Tests may unwrap: a panic there is a failed test, which is what we want.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod macros;

mod calendar;
pub mod card_csv;
mod case_number;
mod catalog;
mod clock;
mod codes;
mod fees;
mod field_error;
pub mod filing;
mod person;
mod seed_error;
mod ui_number;
mod validity;
mod working_calendar;

pub use calendar::{
    FilingWindow, WindowStatus, add_months_clamped, new_expiry, passport_valid_for_filing, supplement_due_on,
};
pub use case_number::{CaseNumber, CaseNumberError, EXTENSION_CASE_TYPE, roc_year};
pub use catalog::{Catalog, Criterion, DocumentType, Field, REQUIRED_DOCUMENT_TYPES, Subfield};
pub use clock::{Clock, ClockError, FixedClock, SystemClock, start_of_taipei_day, taipei, taipei_date};
pub use codes::{FieldCode, Filer, UnknownCodeError};
pub use fees::{FeeTable, Twd};
pub use field_error::FieldError;
pub use filing::{ExtensionFiling, RawExtension};
pub use person::{Email, EmailError, Gender, Nationality, NationalityError, PassportNumber, PassportNumberError};
pub use seed_error::SeedError;
pub use ui_number::{UiNumber, UiNumberError};
pub use validity::{ValidityYears, ValidityYearsError};
pub use working_calendar::WorkingCalendar;
