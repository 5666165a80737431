//! Contact CSV files read into [`Person`]s: Google Contacts (current and older headers),
//! Outlook (English, German, French and Spanish headers) and Thunderbird.
//!
//! The file is decoded first ([`crate::decode`]); the delimiter (`,` `;` tab `|`) is the
//! one the header line uses most; the layout is recognised from the header. Each column has
//! a role in its layout (name parts, email, phone, website, address part, notes, birthday,
//! categories...). Every non-empty cell is kept somewhere: a column the layout does not
//! place goes into [`Person::other`] as `(header, value)`, except columns that only repeat
//! another one (Outlook's `E-mail Display Name`, `E-mail Type`, `Initials`) and program
//! defaults (`Priority: Normal`, `Private: False`, `Birthday: 0/0/00`). A value that does not
//! fit its field is kept in `other` with a warning ([`crate::values`]).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rapport_model::{check_date, excerpt};
use serde::{Serialize, Serializer};

use crate::ContactsRead;
use crate::decode::{self, DecodeError};
use crate::values::finish;

/// The language of an Outlook export's header (Outlook names its columns in the language
/// of the installation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Language {
    English,
    German,
    French,
    Spanish,
}

/// A contacts layout we recognise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// Google Contacts, current headers (`First Name`, `E-mail 1 - Value`...).
    Google,
    /// Google Contacts, older headers (`Given Name`, `Family Name`...).
    GoogleOld,
    /// Outlook (`E-mail Address`, `Mobile Phone`, `Company`...; `E-Mail-Adresse`,
    /// `Mobiltelefon`, `Firma`...; `Adresse de messagerie`, `Tél. mobile`, `Société`...;
    /// `Dirección de correo electrónico`, `Móvil`, `Organización`...).
    Outlook(Language),
    /// Thunderbird's address book export (`Primary Email`, `Mobile Number`, `Web Page 1`...).
    Thunderbird,
    /// vCard 2.1, 3.0 or 4.0 (read by [`crate::read_vcards`]).
    VCard,
}

impl Layout {
    /// A stable name for machines (`google`, `google_old`, `outlook`, `outlook_de`,
    /// `outlook_fr`, `outlook_es`, `thunderbird`, `vcard`); also its serialisation.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Google => "google",
            Layout::GoogleOld => "google_old",
            Layout::Outlook(Language::English) => "outlook",
            Layout::Outlook(Language::German) => "outlook_de",
            Layout::Outlook(Language::French) => "outlook_fr",
            Layout::Outlook(Language::Spanish) => "outlook_es",
            Layout::Thunderbird => "thunderbird",
            Layout::VCard => "vcard",
        }
    }

    /// For people: `Outlook (German)`.
    pub fn describe(self) -> &'static str {
        match self {
            Layout::Google => "Google Contacts",
            Layout::GoogleOld => "Google Contacts (older headers)",
            Layout::Outlook(Language::English) => "Outlook",
            Layout::Outlook(Language::German) => "Outlook (German)",
            Layout::Outlook(Language::French) => "Outlook (French)",
            Layout::Outlook(Language::Spanish) => "Outlook (Spanish)",
            Layout::Thunderbird => "Thunderbird",
            Layout::VCard => "vCard",
        }
    }
}

impl Serialize for Layout {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// One person from a contacts file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Person {
    /// Line in the file where the record starts (the header is line 1).
    pub line: u64,
    /// Display name: "given family" for Latin names, "familygiven" for CJK ones.
    pub name: String,
    pub organization: String,
    pub title: String,
    pub emails: Vec<String>,
    /// Phones as written, an extension as ` ext. NNN` (`+1-418-656-9254 ext. 102`).
    pub phones: Vec<String>,
    pub address: String,
    pub notes: String,
    /// Labels or categories (system labels such as `* myContacts` dropped).
    pub labels: Vec<String>,
    pub birthday: Option<NaiveDate>,
    /// For a person customer (no `organization`): where they work, kept as the customer's
    /// company (a `kind` column saying `person` beside a `company` column).
    pub employer: String,
    /// Websites (vCard `URL`, a "Web Page" or "Website" column).
    pub websites: Vec<String>,
    /// Nickname (vCard `NICKNAME`).
    pub nickname: String,
    /// Role (vCard `ROLE`), kept beside the title.
    pub role: String,
    /// The customer's industry (行业), when the file has one.
    pub industry: String,
    /// The salesperson who owns the relationship (负责人), when the file has one.
    pub owner: String,
    /// How the customer came (来源), when the file has one.
    pub source: String,
    /// Values with no field of their own, kept as `(label, value)`: a phone that says `pager`,
    /// an "email" that is not one, a column mapped to nothing in particular. The import writes
    /// them into the customer's notes (visible and searchable) and warns about each.
    pub other: Vec<(String, String)>,
    /// Custom field values by field name (a spreadsheet column mapped to a team field, an
    /// `X-RAPPORT-FIELD` of our own vCards, or a Google CSV's `Custom Field N` pair).
    pub fields: Vec<(String, String)>,
    /// What kind of email, phone, website or address a value is, as `(value, label)`:
    /// `("+1 555 0100", "work")` from `TEL;TYPE=work`, `("+1 555 0199", "Assistant")` from
    /// Apple's `item1.X-ABLabel:_$!<Assistant>!$_`, `("a@b.example", "Home")` from a Google
    /// `E-mail 1 - Label`, `("+49 170 1234567", "Mobiltelefon")` from an Outlook column. A
    /// value without a label has no entry.
    pub value_labels: Vec<(String, String)>,
    /// A "next revisit" date: the import adds an open follow-up due then.
    pub next_followup: Option<NaiveDate>,
    /// A "last visit" or "last contact" date: the import logs an interaction then, so revisit
    /// cadence works at once.
    pub last_contact: Option<NaiveDate>,
    /// A sales or revenue amount: the import adds a won deal of it, dated by `sales_date` (or
    /// the file's date when the row has none).
    pub sales: Option<rapport_model::Money>,
    pub sales_date: Option<NaiveDate>,
    /// What was kept somewhere else than asked, or could not be read but did not stop the
    /// person (each names the line and the column).
    pub warnings: Vec<RowError>,
}

/// A row that cannot be imported, or a value that was kept elsewhere, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("line {line}, column `{column}`: {reason}")]
pub struct RowError {
    pub line: u64,
    pub column: String,
    pub reason: String,
}

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("the file is empty")]
    Empty,
    #[error(
        "line 1: not a contacts CSV header we know (Google, Outlook in English, German, French or Spanish, Thunderbird: it has no `E-mail 1 - Value`, `E-mail Address`, `E-Mail-Adresse`, `Adresse de messagerie` or `Primary Email` column; first columns: {0})"
    )]
    UnknownLayout(String),
    #[error("line {line}: {reason}")]
    Csv { line: u64, reason: String },
    /// The bytes are not text in the encoding asked for or found (names the line).
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

fn is_cjk(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| {
            matches!(c as u32,
                0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF)
        })
}

/// "given family", or "familygiven" when both are CJK.
pub(crate) fn display_name(given: &str, middle: &str, family: &str) -> String {
    if is_cjk(given) && is_cjk(family) {
        return format!("{family}{given}");
    }
    [given, middle, family]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Given,
    Middle,
    Family,
    /// The whole name (Thunderbird's `Display Name`, older Google's `Name`).
    FullName,
    /// A name to fall back on (`File As`).
    FileAs,
    Nickname,
    Org,
    Title,
    /// Profession, occupation (`Person::role`).
    Profession,
    Email,
    Phone,
    Web,
    /// Google's `Custom Field N - Value`: a custom field named by its `- Label` column.
    Custom,
    Notes,
    Birthday,
    BirthYear,
    BirthMonth,
    BirthDay,
    /// Categories, separated by this.
    Labels(&'static str),
    /// Part of address group `.0`, in place `.1` (street, street 2, street 3, PO box, city,
    /// region, postal code, country).
    AddrPart(u8, u8),
    /// The whole address of group `.0`.
    AddrFull(u8),
    /// The label of the values keyed like this column (Google's `E-mail 1 - Label`).
    LabelOf,
    /// Repeats another column.
    Skip,
    /// Kept in `other` unless it holds one of these program defaults.
    Default(&'static [&'static str]),
    /// Kept in `other` under its header.
    Other,
}

#[derive(Clone, Debug)]
struct Col {
    role: Role,
    header: String,
    /// Google's `E-mail 1` for `E-mail 1 - Value` and `E-mail 1 - Label`.
    key: Option<String>,
}

fn layout_of(headers: &[String]) -> Option<Layout> {
    let has = |h: &str| headers.iter().any(|x| x.eq_ignore_ascii_case(h));
    if has("E-mail 1 - Value") && (has("Given Name") || has("Family Name")) {
        Some(Layout::GoogleOld)
    } else if has("E-mail 1 - Value") || has("Phone 1 - Value") {
        Some(Layout::Google)
    } else if has("Primary Email") || (has("Display Name") && has("Mobile Number")) {
        Some(Layout::Thunderbird)
    } else if has("E-mail Address") || has("Mobile Phone") {
        Some(Layout::Outlook(Language::English))
    } else if has("E-Mail-Adresse") || has("Mobiltelefon") || (has("Vorname") && has("Nachname")) {
        Some(Layout::Outlook(Language::German))
    } else if has("Adresse de messagerie") || has("Tél. mobile") || (has("Prénom") && has("Nom"))
    {
        Some(Layout::Outlook(Language::French))
    } else if has("Dirección de correo electrónico")
        || has("Móvil")
        || (has("Nombre") && has("Apellidos"))
    {
        Some(Layout::Outlook(Language::Spanish))
    } else {
        None
    }
}

/// The roles of a layout's columns, in column order.
fn columns(layout: Layout, headers: &[String]) -> Vec<Col> {
    let mut titres = headers
        .iter()
        .filter(|h| h.eq_ignore_ascii_case("Titre"))
        .count();
    let mut seen_company = false;
    headers
        .iter()
        .map(|h| {
            let lower = h.to_lowercase();
            let (role, key) = match layout {
                Layout::Google | Layout::GoogleOld => google_role(h, &lower),
                Layout::Thunderbird => (thunderbird_role(&lower), None),
                Layout::Outlook(Language::French) if lower == "titre" => {
                    // French Outlook names both the salutation and the job title `Titre`:
                    // the salutation comes first, the job title after `Société`/`Service`.
                    let role = if titres > 1 || !seen_company {
                        Role::Other
                    } else {
                        Role::Title
                    };
                    titres = titres.saturating_sub(1);
                    (role, None)
                }
                Layout::Outlook(lang) => {
                    if matches!(lower.as_str(), "société" | "service") {
                        seen_company = true;
                    }
                    (outlook_role(lang, &lower), None)
                }
                Layout::VCard => (Role::Other, None),
            };
            let role = if h.is_empty() { Role::Other } else { role };
            Col {
                role,
                header: h.clone(),
                key,
            }
        })
        .collect()
}

/// Google: `First Name`..., and numbered groups `E-mail 1 - Value`, `Phone 2 - Label`,
/// `Address 1 - City`.
fn google_role(h: &str, lower: &str) -> (Role, Option<String>) {
    let fixed = match lower {
        "first name" | "given name" => Some(Role::Given),
        "middle name" | "additional name" => Some(Role::Middle),
        "last name" | "family name" => Some(Role::Family),
        "name" => Some(Role::FullName),
        "file as" => Some(Role::FileAs),
        "nickname" => Some(Role::Nickname),
        "organization name" => Some(Role::Org),
        "organization title" => Some(Role::Title),
        "occupation" => Some(Role::Profession),
        "birthday" => Some(Role::Birthday),
        "notes" => Some(Role::Notes),
        "labels" | "group membership" => Some(Role::Labels(":::")),
        "photo" => Some(Role::Skip),
        _ => None,
    };
    if let Some(r) = fixed {
        return (r, None);
    }
    let Some((group, field)) = h.split_once(" - ") else {
        return (Role::Other, None);
    };
    let (kind, n) = group.rsplit_once(' ').unwrap_or((group, ""));
    let number: u8 = n.trim().parse().unwrap_or(0);
    let key = Some(group.trim().to_string());
    let field = field.trim().to_ascii_lowercase();
    let role = match (kind.trim().to_ascii_lowercase().as_str(), field.as_str()) {
        (_, "type" | "label") => Role::LabelOf,
        ("e-mail", "value") => Role::Email,
        ("phone", "value") => Role::Phone,
        ("website", "value") => Role::Web,
        ("custom field", "value") => Role::Custom,
        ("organization", "name") if number <= 1 => Role::Org,
        ("organization", "title") if number <= 1 => Role::Title,
        ("address", "formatted") => Role::AddrFull(number),
        ("address", "street") => Role::AddrPart(number, 0),
        ("address", "extended address") => Role::AddrPart(number, 1),
        ("address", "neighborhood") => Role::AddrPart(number, 2),
        ("address", "po box") => Role::AddrPart(number, 3),
        ("address", "city") => Role::AddrPart(number, 4),
        ("address", "region") => Role::AddrPart(number, 5),
        ("address", "postal code") => Role::AddrPart(number, 6),
        ("address", "country") => Role::AddrPart(number, 7),
        _ => Role::Other,
    };
    (role, key)
}

fn thunderbird_role(lower: &str) -> Role {
    match lower {
        "first name" => Role::Given,
        "last name" => Role::Family,
        "display name" => Role::FullName,
        "nickname" => Role::Nickname,
        "primary email" | "secondary email" => Role::Email,
        "work phone" | "home phone" | "fax number" | "pager number" | "mobile number" => {
            Role::Phone
        }
        "work address" => Role::AddrPart(0, 0),
        "work address 2" | "work address2" => Role::AddrPart(0, 1),
        "work city" => Role::AddrPart(0, 4),
        "work state" | "work county" => Role::AddrPart(0, 5),
        "work zipcode" | "work zip" | "work post code" | "work postcode" => Role::AddrPart(0, 6),
        "work country" => Role::AddrPart(0, 7),
        "home address" => Role::AddrPart(1, 0),
        "home address 2" | "home address2" => Role::AddrPart(1, 1),
        "home city" => Role::AddrPart(1, 4),
        "home state" | "home county" => Role::AddrPart(1, 5),
        "home zipcode" | "home zip" | "home post code" | "home postcode" => Role::AddrPart(1, 6),
        "home country" => Role::AddrPart(1, 7),
        "job title" => Role::Title,
        "organization" | "organisation" => Role::Org,
        "web page 1" | "web page 2" => Role::Web,
        "birth year" => Role::BirthYear,
        "birth month" => Role::BirthMonth,
        "birth day" => Role::BirthDay,
        "notes" => Role::Notes,
        _ => Role::Other,
    }
}

/// An address part of Outlook: group (0 business, 1 home, 2 other) and place.
fn outlook_address(lang: Language, lower: &str) -> Option<(u8, u8)> {
    match lang {
        Language::English => {
            for (g, prefix) in [(0u8, "business "), (1, "home "), (2, "other ")] {
                let Some(rest) = lower.strip_prefix(prefix) else {
                    continue;
                };
                let place = match rest {
                    "street" => 0,
                    "street 2" => 1,
                    "street 3" => 2,
                    "address po box" => 3,
                    "city" => 4,
                    "state" => 5,
                    "postal code" => 6,
                    "country/region" | "country" => 7,
                    _ => return None,
                };
                return Some((g, place));
            }
            None
        }
        Language::German => {
            let place = match lower {
                "straße geschäftlich" => (0, 0),
                "straße geschäftlich 2" => (0, 1),
                "straße geschäftlich 3" => (0, 2),
                "postfach geschäftlich" => (0, 3),
                "ort geschäftlich" => (0, 4),
                "region geschäftlich" | "bundesland/kanton geschäftlich" => (0, 5),
                "postleitzahl geschäftlich" => (0, 6),
                "land/region geschäftlich" => (0, 7),
                "straße privat" => (1, 0),
                "straße privat 2" => (1, 1),
                "straße privat 3" => (1, 2),
                "postfach privat" => (1, 3),
                "ort privat" => (1, 4),
                "bundesland/kanton privat" | "region privat" => (1, 5),
                "postleitzahl privat" => (1, 6),
                "land/region privat" => (1, 7),
                "weitere straße" => (2, 0),
                "weitere straße 2" => (2, 1),
                "weitere straße 3" => (2, 2),
                "weiteres postfach" => (2, 3),
                "weiterer ort" => (2, 4),
                "weiteres/r bundesland/kanton" => (2, 5),
                "weitere postleitzahl" => (2, 6),
                "weiteres/e land/region" => (2, 7),
                _ => return None,
            };
            Some(place)
        }
        Language::French => {
            for (g, word) in [(0u8, "(bureau)"), (1, "(domicile)"), (2, "(autre)")] {
                let Some((before, after)) = lower.split_once(word) else {
                    continue;
                };
                let n = after.trim();
                let place = match (before.trim(), n) {
                    ("rue", "") => 0,
                    ("rue", "2") => 1,
                    ("rue", "3") => 2,
                    ("ville", "") => 4,
                    ("dép/région", "") => 5,
                    ("code postal", "") => 6,
                    ("pays/région", "") | ("pays", "") => 7,
                    _ => return None,
                };
                return Some((g, place));
            }
            match lower {
                "b.p. professionnelle" => Some((0, 3)),
                "boîte postale du domicile" => Some((1, 3)),
                "autre boîte postale" => Some((2, 3)),
                _ => None,
            }
        }
        Language::Spanish => {
            let place = match lower {
                "calle del trabajo" => (0, 0),
                "calle del trabajo 2" => (0, 1),
                "calle del trabajo 3" => (0, 2),
                "apartado postal del trabajo" => (0, 3),
                "ciudad de trabajo" | "ciudad del trabajo" => (0, 4),
                "provincia o estado de trabajo" | "provincia o estado del trabajo" => (0, 5),
                "código postal del trabajo" => (0, 6),
                "país o región del trabajo" => (0, 7),
                "calle del domicilio" => (1, 0),
                "calle del domicilio 2" => (1, 1),
                "calle del domicilio 3" => (1, 2),
                "apartado postal del domicilio" => (1, 3),
                "ciudad de residencia" | "ciudad del domicilio" => (1, 4),
                "provincia o estado de residencia" | "provincia o estado del domicilio" => (1, 5),
                "código postal de residencia" | "código postal del domicilio" => (1, 6),
                "país o región de residencia" | "país o región del domicilio" => (1, 7),
                "otra calle" => (2, 0),
                "otra calle 2" => (2, 1),
                "otra calle 3" => (2, 2),
                "otro apartado postal" => (2, 3),
                "otra ciudad" => (2, 4),
                "otra provincia o estado" => (2, 5),
                "otro código postal" => (2, 6),
                "otro país o región" => (2, 7),
                _ => return None,
            };
            Some(place)
        }
    }
}

fn outlook_role(lang: Language, lower: &str) -> Role {
    if let Some((g, place)) = outlook_address(lang, lower) {
        return Role::AddrPart(g, place);
    }
    match lang {
        Language::English => match lower {
            "first name" => Role::Given,
            "middle name" => Role::Middle,
            "last name" => Role::Family,
            "nickname" => Role::Nickname,
            "initials" => Role::Skip,
            "company" => Role::Org,
            "job title" => Role::Title,
            "profession" => Role::Profession,
            "notes" => Role::Notes,
            "birthday" => Role::Birthday,
            "anniversary" => Role::Default(&["0/0/00"]),
            "categories" => Role::Labels(";"),
            "web page" | "personal web page" => Role::Web,
            "e-mail address" | "e-mail 2 address" | "e-mail 3 address" => Role::Email,
            "gender" => Role::Default(&["Unspecified"]),
            "sensitivity" | "priority" => Role::Default(&["Normal"]),
            "private" => Role::Default(&["False"]),
            "business address" => Role::AddrFull(0),
            "home address" => Role::AddrFull(1),
            "other address" => Role::AddrFull(2),
            l if l.starts_with("e-mail") && (l.ends_with("type") || l.contains("display name")) => {
                Role::Skip
            }
            l if l.ends_with("phone")
                || l.ends_with("phone 2")
                || l.ends_with(" fax")
                || matches!(l, "pager" | "callback" | "isdn" | "telex") =>
            {
                Role::Phone
            }
            _ => Role::Other,
        },
        Language::German => match lower {
            "vorname" => Role::Given,
            "weitere vornamen" => Role::Middle,
            "nachname" => Role::Family,
            "initialen" => Role::Skip,
            "firma" => Role::Org,
            "position" => Role::Title,
            "beruf" => Role::Profession,
            "notizen" => Role::Notes,
            "geburtstag" => Role::Birthday,
            "jahrestag" => Role::Default(&["0.0.00", "0/0/00"]),
            "kategorien" => Role::Labels(";"),
            "webseite" | "persönliche webseite" => Role::Web,
            "e-mail-adresse" | "e-mail 2: adresse" | "e-mail 3: adresse" => Role::Email,
            "geschlecht" => Role::Default(&["Nicht angegeben", "Unbekannt"]),
            "priorität" | "vertraulichkeit" => Role::Default(&["Normal"]),
            "privat" => Role::Default(&["Aus", "False"]),
            l if l.starts_with("e-mail")
                && (l.contains("typ") || l.contains("angezeigter name")) =>
            {
                Role::Skip
            }
            l if l.contains("telefon")
                || l.starts_with("fax ")
                || l.ends_with(" fax")
                || matches!(l, "pager" | "isdn" | "telex" | "rückmeldung") =>
            {
                Role::Phone
            }
            _ => Role::Other,
        },
        Language::French => match lower {
            "prénom" => Role::Given,
            "deuxième prénom" => Role::Middle,
            "nom" => Role::Family,
            "initiales" => Role::Skip,
            "société" => Role::Org,
            "profession" => Role::Profession,
            "notes" => Role::Notes,
            "anniversaire" => Role::Birthday,
            "anniversaire de mariage ou fête" => Role::Default(&["0/0/00"]),
            "catégories" => Role::Labels(";"),
            "page web" | "page web personnelle" => Role::Web,
            "adresse de messagerie" | "adresse de messagerie 2" | "adresse de messagerie 3" => {
                Role::Email
            }
            "sexe" => Role::Default(&["Non spécifié"]),
            "priorité" | "critère de diffusion" => Role::Default(&["Normale", "Normal"]),
            "privé" => Role::Default(&["Désactivé", "Faux", "False"]),
            l if l.starts_with("type de messagerie")
                || l.starts_with("nom complet de l'adresse de messagerie") =>
            {
                Role::Skip
            }
            l if l.contains("téléphone")
                || l.contains("télécopie")
                || l.starts_with("tél.")
                || matches!(
                    l,
                    "rnis" | "télex" | "rappel" | "récepteur de radiomessagerie"
                ) =>
            {
                Role::Phone
            }
            _ => Role::Other,
        },
        Language::Spanish => match lower {
            "nombre" => Role::Given,
            "segundo nombre" => Role::Middle,
            "apellidos" => Role::Family,
            "iniciales" => Role::Skip,
            "organización" | "compañía" | "empresa" => Role::Org,
            "puesto" => Role::Title,
            "profesión" => Role::Profession,
            "notas" => Role::Notes,
            "cumpleaños" => Role::Birthday,
            "aniversario" => Role::Default(&["0/0/00"]),
            "categorías" => Role::Labels(";"),
            "página web" | "página web personal" => Role::Web,
            "dirección de correo electrónico"
            | "dirección de correo electrónico 2"
            | "dirección de correo electrónico 3" => Role::Email,
            "sexo" => Role::Default(&["Sin especificar"]),
            "prioridad" | "confidencialidad" | "sensibilidad" => Role::Default(&["Normal"]),
            "privado" => Role::Default(&["Falso", "False"]),
            l if l.starts_with("tipo de correo electrónico")
                || l.starts_with("nombre para mostrar del correo electrónico") =>
            {
                Role::Skip
            }
            l if l.contains("teléfono")
                || l.contains("fax")
                || l.starts_with("móvil")
                || l.starts_with("particular")
                || matches!(
                    l,
                    "localizador" | "rdsi" | "radioteléfono" | "télex" | "devolución de llamada"
                ) =>
            {
                Role::Phone
            }
            _ => Role::Other,
        },
    }
}

/// A reader for `text` with the delimiter its first records use
/// ([`crate::sheet::detect_delimiter`], the one detection for contact files and sheets).
pub(crate) fn csv_reader(text: &str) -> (csv::Reader<&[u8]>, u8) {
    let d = crate::sheet::detect_delimiter(text, None);
    let reader = csv::ReaderBuilder::new()
        .flexible(true)
        .delimiter(d)
        .from_reader(text.as_bytes());
    (reader, d)
}

/// Reads a contacts CSV, in the encoding `encoding` names or else the one found
/// ([`crate::decode`]). Returns the layout, the people, the rows that could not be read
/// (each with its line and column; the caller decides whether any bad row stops the import)
/// and how the file was decoded.
pub fn read_contacts_csv(bytes: &[u8], encoding: Option<&str>) -> Result<ContactsRead, ReadError> {
    let decoded = decode::decode(bytes, encoding)?;
    let text = decoded.text.as_str();
    if text.trim().is_empty() {
        return Err(ReadError::Empty);
    }
    let (mut reader, delim) = csv_reader(text);
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|x| x.trim().to_string()).collect(),
        Err(e) => return Err(csv_error(&e)),
    };
    let layout = layout_of(&headers).ok_or_else(|| {
        ReadError::UnknownLayout(
            headers
                .iter()
                .take(5)
                .map(|h| format!("`{}`", excerpt(h)))
                .collect::<Vec<_>>()
                .join(", "),
        )
    })?;
    let cols = columns(layout, &headers);
    let first_name = cols
        .iter()
        .find(|c| c.role == Role::Given)
        .or_else(|| cols.iter().find(|c| c.role == Role::FullName))
        .map_or_else(|| "name".to_string(), |c| c.header.clone());
    let mut people = Vec::new();
    let mut bad = Vec::new();
    each_record(
        &mut reader,
        text.as_bytes(),
        delim,
        |row, line| match finish(person(layout, &cols, row, line), &first_name) {
            Ok(p) => people.push(p),
            Err(e) => bad.push(e),
        },
    )?;
    Ok(ContactsRead {
        layout,
        people,
        bad,
        decoded_as: decoded.describe(),
    })
}

/// Calls `each` with every non-blank record and the line it starts on; a CSV error (bad
/// quoting) ends the read with its line.
pub(crate) fn each_record(
    reader: &mut csv::Reader<&[u8]>,
    bytes: &[u8],
    delimiter: u8,
    mut each: impl FnMut(&csv::StringRecord, u64),
) -> Result<(), ReadError> {
    let mut lines = Lines::new(bytes);
    let mut last_start = None;
    for row in reader.records() {
        let row = row.map_err(|e| csv_error(&e))?;
        last_start = row.position().map(|p| p.byte() as usize);
        let line = lines.of(&row);
        if !row.iter().all(|f| f.trim().is_empty()) {
            each(&row, line);
        }
    }
    // The csv crate takes a quote that is never closed to run to the end of the file, which
    // silently turns the rest of the file into one field: refuse it, naming where it opens.
    if let Some(open) = last_start.and_then(|s| unclosed_quote(bytes, s, delimiter)) {
        let line = 1 + bytes[..open].iter().filter(|b| **b == b'\n').count() as u64;
        return Err(ReadError::Csv {
            line,
            reason: "a quoted field starts here and is never closed (a `\"` is missing)".into(),
        });
    }
    Ok(())
}

/// Where the quoted field that is still open at the end of `bytes` starts, reading the record
/// that starts at `start` as the csv crate does (a quote opens a field only at its start; `""`
/// inside quotes is a quote).
pub(crate) fn unclosed_quote(bytes: &[u8], start: usize, delimiter: u8) -> Option<usize> {
    let mut open = None;
    let mut field_start = true;
    let mut i = start.min(bytes.len());
    while i < bytes.len() {
        let b = bytes[i];
        if open.is_some() {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    open = None;
                }
            }
        } else if b == b'"' && field_start {
            open = Some(i);
            field_start = false;
        } else {
            field_start = b == delimiter || matches!(b, b'\n' | b'\r');
        }
        i += 1;
    }
    open
}

/// Line numbers of records, from their byte offsets: with CRLF line ends the csv crate's own
/// line count lands one line early (a record "starts" at the `\n` of the previous `\r\n`).
struct Lines<'a> {
    bytes: &'a [u8],
    seen_byte: usize,
    seen_line: u64,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Lines {
            bytes,
            seen_byte: 0,
            seen_line: 1,
        }
    }

    /// The line `row` starts on (records must come in file order).
    fn of(&mut self, row: &csv::StringRecord) -> u64 {
        let mut start = row
            .position()
            .map_or(0, |p| p.byte() as usize)
            .min(self.bytes.len());
        if self.bytes.get(start) == Some(&b'\n') {
            start += 1;
        }
        let from = self.seen_byte.min(start);
        self.seen_line += self.bytes[from..start]
            .iter()
            .filter(|c| **c == b'\n')
            .count() as u64;
        self.seen_byte = start;
        self.seen_line
    }
}

pub(crate) fn csv_error(e: &csv::Error) -> ReadError {
    let line = e.position().map_or(0, |p| p.line());
    ReadError::Csv {
        line,
        reason: e.to_string(),
    }
}

/// Dates as the exporters write them: `1985-03-12` everywhere; `3/12/1985` from Google and
/// English Outlook, `12.3.1985` from German Outlook, `12/3/1985` from French and Spanish
/// Outlook; `0/0/00` and `0.0.00` mean none. The year must have four digits. `Err` holds
/// why it is not a date.
fn parse_date(s: &str, layout: Layout) -> Result<Option<NaiveDate>, String> {
    let s = s.trim();
    if s.is_empty() || matches!(s, "0/0/00" | "0.0.00" | "00.00.00" | "0/0/0000") {
        return Ok(None);
    }
    if s.starts_with("--") {
        return Err("a birthday without a year".into());
    }
    let local = match layout {
        Layout::Outlook(Language::German) => "%d.%m.%Y",
        Layout::Outlook(Language::French | Language::Spanish) => "%d/%m/%Y",
        _ => "%m/%d/%Y",
    };
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, local))
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d"))
        .map_err(|_| {
            let shown = local
                .replace("%d", "D")
                .replace("%m", "M")
                .replace("%Y", "YYYY");
            format!("`{}` is not a date (YYYY-MM-DD or {shown})", excerpt(s))
        })?;
    check_date("birthday", d).map_err(|e| e.to_string())?;
    Ok(Some(d))
}

/// Address parts by group: (place, value) parts and the whole-address column (header, value).
type AddressGroups = BTreeMap<u8, (Vec<(u8, String)>, Option<(String, String)>)>;

/// Google's labels: `* Work` is `Work`.
fn google_label(s: &str) -> String {
    s.trim().trim_start_matches("* ").trim().to_string()
}

fn person(layout: Layout, cols: &[Col], row: &csv::StringRecord, line: u64) -> Person {
    let mut p = Person {
        line,
        ..Person::default()
    };
    let cell = |i: usize| row.get(i).map(str::trim).unwrap_or("");
    // Labels of keyed values, per part of a `:::` list.
    let mut labels: HashMap<&str, Vec<String>> = HashMap::new();
    for (i, c) in cols.iter().enumerate() {
        if let (Role::LabelOf, Some(k)) = (&c.role, &c.key) {
            let v = cell(i);
            if !v.is_empty() {
                labels.insert(k.as_str(), v.split(":::").map(google_label).collect());
            }
        }
    }
    let label_at = |c: &Col, n: usize| -> Option<String> {
        let ls = labels.get(c.key.as_deref()?)?;
        ls.get(n).or(ls.first()).cloned()
    };
    let google = matches!(layout, Layout::Google | Layout::GoogleOld);
    let (mut given, mut middle, mut family, mut full, mut file_as) = (
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    );
    let mut birth = (None, None, None);
    let mut groups: AddressGroups = BTreeMap::new();
    let mut group_label: HashMap<u8, String> = HashMap::new();
    for (i, c) in cols.iter().enumerate() {
        let v = cell(i);
        if v.is_empty() {
            continue;
        }
        let header = if c.header.is_empty() {
            format!("column {}", i + 1)
        } else {
            c.header.clone()
        };
        let set = |slot: &mut String, p: &mut Person| {
            if slot.is_empty() {
                *slot = v.to_string();
            } else if slot != v {
                p.keep_other(&header, v);
            }
        };
        match &c.role {
            Role::Given => set(&mut given, &mut p),
            Role::Middle => set(&mut middle, &mut p),
            Role::Family => set(&mut family, &mut p),
            Role::FullName => set(&mut full, &mut p),
            Role::FileAs => set(&mut file_as, &mut p),
            Role::Nickname => {
                let mut n = std::mem::take(&mut p.nickname);
                set(&mut n, &mut p);
                p.nickname = n;
            }
            Role::Org => {
                let mut n = std::mem::take(&mut p.organization);
                set(&mut n, &mut p);
                p.organization = n;
            }
            Role::Title => {
                let mut n = std::mem::take(&mut p.title);
                set(&mut n, &mut p);
                p.title = n;
            }
            Role::Profession => {
                let mut n = std::mem::take(&mut p.role);
                set(&mut n, &mut p);
                p.role = n;
            }
            Role::Notes => {
                if p.notes.is_empty() {
                    p.notes = v.to_string();
                } else {
                    p.notes = format!("{}\n{v}", p.notes);
                }
            }
            Role::Email | Role::Phone | Role::Web => {
                for (n, part) in v
                    .split(":::")
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .enumerate()
                {
                    let label = if google {
                        label_at(c, n)
                    } else if c.role == Role::Phone {
                        Some(header.clone())
                    } else {
                        None
                    };
                    let label = label.as_deref();
                    match c.role {
                        Role::Email => {
                            if let Err(why) = p.add_email(part, label) {
                                p.misfit(line, &header, "email", part, &why);
                            }
                        }
                        Role::Phone => {
                            if let Err(why) = p.add_phone(part, label) {
                                p.misfit(line, &header, "phone", part, &why);
                            }
                        }
                        _ => p.add_website(part, label),
                    }
                }
            }
            Role::Birthday => match parse_date(v, layout) {
                Ok(d) => p.birthday = p.birthday.or(d),
                Err(why) => p.misfit(line, &header, "birthday", v, &why),
            },
            Role::BirthYear => birth.0 = Some((header, v.to_string())),
            Role::BirthMonth => birth.1 = Some((header, v.to_string())),
            Role::BirthDay => birth.2 = Some((header, v.to_string())),
            Role::Labels(sep) => {
                for l in v.split(sep).map(str::trim) {
                    if !l.is_empty() && !l.starts_with('*') && !p.labels.iter().any(|x| x == l) {
                        p.labels.push(l.to_string());
                    }
                }
            }
            Role::AddrPart(g, place) => {
                groups
                    .entry(*g)
                    .or_default()
                    .0
                    .push((*place, v.to_string()));
                if let Some(l) = label_at(c, 0) {
                    group_label.insert(*g, l);
                }
            }
            Role::AddrFull(g) => {
                groups.entry(*g).or_default().1 = Some((header, v.to_string()));
                if let Some(l) = label_at(c, 0) {
                    group_label.insert(*g, l);
                }
            }
            // Placed into the team's field of that name by the import plan, or kept in the
            // notes there when the team has none (as `X-RAPPORT-FIELD`s of our vCards are).
            Role::Custom => match label_at(c, 0) {
                Some(l) if !l.is_empty() => p.fields.push((l, v.to_string())),
                _ => p.keep_other(&header, v),
            },
            Role::LabelOf | Role::Skip => {}
            Role::Default(defaults) => {
                if !defaults.iter().any(|d| d.eq_ignore_ascii_case(v)) {
                    p.keep_other(&header, v);
                }
            }
            Role::Other => match label_at(c, 0) {
                Some(l) => p.keep_other(&l, v),
                None => p.keep_other(&header, v),
            },
        }
    }
    // Thunderbird's birthday comes in three columns.
    match birth {
        (None, None, None) => {}
        (Some((_, y)), Some((_, m)), Some((_, d))) => {
            let date = match (y.parse(), m.parse(), d.parse()) {
                (Ok(y), Ok(m), Ok(d)) => NaiveDate::from_ymd_opt(y, m, d),
                _ => None,
            };
            match date.filter(|d| check_date("birthday", *d).is_ok()) {
                Some(d) => p.birthday = Some(d),
                None => p.misfit(
                    line,
                    "Birth Year",
                    "birthday",
                    &format!("{y}-{m}-{d}"),
                    &format!("`{y}-{m}-{d}` is not a date"),
                ),
            }
        }
        (y, m, d) => {
            let parts: Vec<String> = [y, m, d]
                .into_iter()
                .flatten()
                .map(|(h, v)| format!("{h} {v}"))
                .collect();
            let text = parts.join(", ");
            p.misfit(
                line,
                "Birth Year",
                "birthday",
                &text,
                "a birthday without a year, month or day",
            );
        }
    }
    // Addresses: the first group that has one is the address, the others are kept.
    let names = ["business address", "home address", "other address"];
    for (g, (mut parts, full)) in groups {
        parts.sort_by_key(|(place, _)| *place);
        let from_parts = parts
            .iter()
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        // Google's `Formatted` is its own rendering of the parts; elsewhere the parts win
        // and a whole-address column that says more is kept.
        let text = if from_parts.is_empty() || (google && full.is_some()) {
            full.as_ref().map(|(_, v)| v.clone()).unwrap_or_default()
        } else {
            if let Some((h, v)) = &full
                && v != &from_parts
            {
                p.keep_other(h, v);
            }
            from_parts
        };
        let label = group_label.get(&g).cloned();
        if p.address.is_empty() {
            p.address = text.clone();
        } else {
            let name = if google {
                label.clone().unwrap_or_else(|| "address".into())
            } else {
                names
                    .get(usize::from(g))
                    .copied()
                    .unwrap_or("address")
                    .to_string()
            };
            p.keep_other(&name, &text);
        }
        p.label_value(&text, label.as_deref());
    }
    let composed = display_name(&given, &middle, &family);
    p.name = match layout {
        Layout::Thunderbird if !full.is_empty() => {
            if !composed.is_empty() && composed != full {
                p.keep_other("name", &composed);
            }
            full
        }
        _ if !composed.is_empty() => {
            if !full.is_empty() && full != composed {
                p.keep_other("name", &full);
            }
            composed
        }
        _ if !full.is_empty() => full,
        _ if !file_as.is_empty() => file_as,
        _ => p.nickname.clone(),
    };
    p
}
