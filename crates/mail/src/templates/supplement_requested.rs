//! `supplement_requested`: to the applicant, listing the documents asked for and the last
//! day to upload them.

use super::{DocumentNames, Letter, Locale, Template, TemplateError, Vars, format};

pub(super) fn letter(lang: Locale, v: &Vars, names: &DocumentNames) -> Result<Letter, TemplateError> {
    const T: Template = Template::SupplementRequested;
    let due = format::date(Vars::need(&v.supplement_due_on, T, "supplement_due_on")?, lang);
    let items = items(T, lang, v, names)?;
    Ok(match lang {
        Locale::ZhTw => Letter::new("請補件")
            .para("審查機關需要您補充下列文件，以繼續審查您的延期申請：")
            .list(items)
            .facts(lang, v, [("補件期限", due.clone())])
            .para(format!(
                "請於 {due} 前登入申請網站上傳上列文件並送出補件。逾期未補件，本案可能遭駁回。補件期間不計入審查期間。"
            )),
        Locale::En => Letter::new("Documents requested")
            .para("The reviewing authority needs the following documents to continue reviewing your extension application:")
            .list(items)
            .facts(lang, v, [("Upload by", due.clone())])
            .para(format!(
                "Please sign in to the application portal, upload these documents and submit them by {due}. If they do not arrive in time, the application may be rejected. The time until then does not count towards the review period."
            )),
    })
}

/// The documents asked for, one line each: the document's name in `lang` and the
/// officer's note; refused when the payload lists none.
pub(super) fn items(
    template: Template,
    lang: Locale,
    v: &Vars,
    names: &DocumentNames,
) -> Result<Vec<String>, TemplateError> {
    let items = Vars::need(&v.supplement_items, template, "supplement_items")?;
    if items.is_empty() {
        return Err(TemplateError::Missing {
            template,
            field: "supplement_items",
        });
    }
    let colon = match lang {
        Locale::ZhTw => "：",
        Locale::En => ": ",
    };
    Ok(items
        .iter()
        .map(|item| {
            let name = names.name(&item.doc_type, lang);
            match item.note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                Some(note) => format!("{name}{colon}{note}"),
                None => name.to_string(),
            }
        })
        .collect())
}
