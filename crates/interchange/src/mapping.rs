//! Spreadsheet columns to customer fields, and cells to values.
//!
//! 1. [`suggest`] proposes a [`Target`] for each column of a [`Sheet`] from its header, in
//!    English, Chinese (simplified and traditional), German, French, Spanish and Japanese
//!    (`客户名称`, `聯絡人`, `E-Mail`, `Téléphone`, `Correo`, `担当営業`...), matched after
//!    folding case, width (full-width letters), accents, spaces and punctuation (`电话：`,
//!    `*手机`, `Telefon 2`), and says which columns it could not place. A header naming one of
//!    the team's custom fields maps to that field first.
//! 2. A [`Mapping`] is serialisable (serde JSON), reads and prints as `COLUMN=FIELD` pairs
//!    (the `--map` words are [`Target`]'s: see [`FIELDS`]), and carries a
//!    [`header_signature`] so a mapping can be remembered per layout.
//! 3. [`people_from_sheet`] turns each row into a [`Person`] with the cell parsers below:
//!    [`excel_serial_date`], [`parse_date`], [`parse_amount`], [`header_currency`].
//!
//! ## Decisions
//!
//! - **Company or person**: a `company` column (`公司名称`, `Firma`, `会社名`) is always the
//!   organisation. A `customer` column (`客户名称`, `Kunde`, `Client`) is the organisation when
//!   the sheet also has a contact-name column, or when at least half of its values carry a
//!   legal form (`有限公司`, `GmbH`, `SARL`, `S.L.`, `株式会社`, `Ltd`...): a company list.
//!   Otherwise it is a person customer's name. [`customer_is_company`] tells which.
//! - **Day or month first** in `03/12/2026`: a sheet's own dates decide (a first number above
//!   12 means day first, a second one above 12 month first); when they all fit both ways, a
//!   sheet whose headers are German, French or Spanish is day first, any other month first
//!   (US Excel's text). Dotted dates (`3.12.2026`) are always day first; [`DateOrder`] can be
//!   forced.
//! - **Currency**: a symbol or code in the cell (`€`, `$`, `US$`, `¥`, `円`, `EUR`), else one
//!   in the header (`销售额（元）` is CNY, `（万元）` also multiplies by 10,000), else the default.
//!   `¥` is JPY when the default currency is JPY or the headers are Japanese, else CNY.
//! - Columns not placed, and values that do not fit their target, go to [`Person::other`]
//!   (the import writes them into the notes), so nothing is lost; `ignore` drops a column.
//! - A row whose first cell is a total word (`合计`, `Summe`, `Total`...) and that has no email
//!   or phone is a total row, not a customer: left out with a [`RowError`].

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use chrono::{Datelike, NaiveDate};
use rapport_model::{Currency, Money, check_email, check_phone, excerpt};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::sheet::{Cell, Row, Sheet, number_text};
use crate::{Person, RowError};

// ---------------------------------------------------------------------------------------------
// Targets.

/// Where a column's values go. `Display` and `FromStr` use the `--map` words ([`FIELDS`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// `customer`: the customer's name; a company or a person (see the module docs).
    Customer,
    /// `company`: the organisation (the customer is a company, the row one of its contacts).
    Company,
    /// `kind`: whether the row's customer is a `company` or a `person` (公司 / 个人), as our
    /// own XLSX export writes it; it decides for that row what `customer` is.
    Kind,
    /// `contact`: the contact person's full name.
    Contact,
    /// `first-name`, `last-name`: parts of the contact's name, joined.
    FirstName,
    LastName,
    /// `title`: the contact's job title.
    Title,
    /// `phone`: a phone or mobile number (several columns and several numbers per cell
    /// collect).
    Phone,
    /// `email`.
    Email,
    /// `address`: a whole address; `street`, `postcode`, `city`, `district`, `region`,
    /// `country`: parts, joined into one address.
    Address,
    Street,
    Postcode,
    City,
    District,
    Region,
    Country,
    /// `website`.
    Website,
    /// `industry`.
    Industry,
    /// `owner`: the salesperson who owns the customer.
    Owner,
    /// `source`: how the customer came.
    Source,
    /// `tags`: split on `,` `，` `;` `；` `、`.
    Tags,
    /// `notes`.
    Notes,
    /// `birthday`.
    Birthday,
    /// `last-contact`: the last visit or contact (an interaction is logged then).
    LastContact,
    /// `next-visit`: the next revisit (an open follow-up is added).
    NextVisit,
    /// `sales`: a sales amount (a won deal).
    Sales,
    /// `sales-date`: the sales amount's date.
    SalesDate,
    /// `custom:NAME`: the team's custom field NAME.
    Custom(String),
    /// `other`: kept in the notes with its column name (as unplaced columns are).
    Other,
    /// `ignore`: dropped.
    Ignore,
}

/// The `--map` FIELD words, with what each means.
pub const FIELDS: &[(&str, &str)] = &[
    (
        "customer",
        "customer name: a company, or a person when there is no contact column",
    ),
    ("company", "company name (the row is one of its contacts)"),
    ("kind", "company or person: what the row's customer is"),
    ("contact", "contact person's name"),
    ("first-name", "contact's given name"),
    ("last-name", "contact's family name"),
    ("title", "contact's job title"),
    ("phone", "phone or mobile number"),
    ("email", "email address"),
    ("address", "whole address"),
    ("street", "address: street"),
    ("postcode", "address: postal code"),
    ("city", "address: city"),
    ("district", "address: district"),
    ("region", "address: state, province"),
    ("country", "address: country"),
    ("website", "website"),
    ("industry", "industry"),
    ("owner", "salesperson who owns the customer"),
    ("source", "where the customer came from"),
    ("tags", "tags, split on , ; 、"),
    ("notes", "notes"),
    ("birthday", "birthday"),
    (
        "last-contact",
        "last visit or contact: an interaction is logged",
    ),
    ("next-visit", "next revisit: an open follow-up is added"),
    ("sales", "sales amount: a won deal"),
    ("sales-date", "date of the sales amount"),
    ("custom:NAME", "the custom field NAME"),
    ("other", "kept in the notes with the column's name"),
    ("ignore", "dropped"),
];

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Target::Customer => "customer",
            Target::Company => "company",
            Target::Kind => "kind",
            Target::Contact => "contact",
            Target::FirstName => "first-name",
            Target::LastName => "last-name",
            Target::Title => "title",
            Target::Phone => "phone",
            Target::Email => "email",
            Target::Address => "address",
            Target::Street => "street",
            Target::Postcode => "postcode",
            Target::City => "city",
            Target::District => "district",
            Target::Region => "region",
            Target::Country => "country",
            Target::Website => "website",
            Target::Industry => "industry",
            Target::Owner => "owner",
            Target::Source => "source",
            Target::Tags => "tags",
            Target::Notes => "notes",
            Target::Birthday => "birthday",
            Target::LastContact => "last-contact",
            Target::NextVisit => "next-visit",
            Target::Sales => "sales",
            Target::SalesDate => "sales-date",
            Target::Custom(name) => return write!(f, "custom:{name}"),
            Target::Other => "other",
            Target::Ignore => "ignore",
        };
        f.write_str(s)
    }
}

impl FromStr for Target {
    type Err = MappingError;
    fn from_str(s: &str) -> Result<Self, MappingError> {
        let t = s.trim();
        if let Some(name) = t
            .strip_prefix("custom:")
            .or_else(|| t.strip_prefix("Custom:"))
        {
            let name = name.trim();
            if name.is_empty() || name.chars().any(char::is_control) {
                return Err(MappingError::UnknownField(t.to_string()));
            }
            return Ok(Target::Custom(name.to_string()));
        }
        Ok(match t.to_ascii_lowercase().replace('_', "-").as_str() {
            "customer" => Target::Customer,
            "company" | "organization" | "organisation" | "org" => Target::Company,
            "kind" | "customer-kind" => Target::Kind,
            "contact" | "contact-name" | "person" => Target::Contact,
            "first-name" | "given-name" => Target::FirstName,
            "last-name" | "family-name" | "surname" => Target::LastName,
            "title" | "job-title" | "position" => Target::Title,
            "phone" | "mobile" | "tel" | "telephone" => Target::Phone,
            "email" | "e-mail" | "mail" => Target::Email,
            "address" => Target::Address,
            "street" => Target::Street,
            "postcode" | "zip" | "postal-code" => Target::Postcode,
            "city" => Target::City,
            "district" => Target::District,
            "region" | "state" | "province" => Target::Region,
            "country" => Target::Country,
            "website" | "url" | "web" => Target::Website,
            "industry" => Target::Industry,
            "owner" | "salesperson" => Target::Owner,
            "source" => Target::Source,
            "tags" | "tag" | "labels" => Target::Tags,
            "notes" | "note" => Target::Notes,
            "birthday" => Target::Birthday,
            "last-contact" | "last-visit" => Target::LastContact,
            "next-visit" | "next-revisit" | "next-followup" | "follow-up" => Target::NextVisit,
            "sales" | "amount" | "revenue" => Target::Sales,
            "sales-date" => Target::SalesDate,
            "other" => Target::Other,
            "ignore" | "skip" | "none" => Target::Ignore,
            _ => return Err(MappingError::UnknownField(t.to_string())),
        })
    }
}

impl Serialize for Target {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Why a mapping could not be read or applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MappingError {
    #[error(
        "`{0}` is not a field (use one of: customer, company, contact, first-name, last-name, title, phone, email, address, street, postcode, city, district, region, country, website, industry, owner, source, tags, notes, birthday, last-contact, next-visit, sales, sales-date, custom:NAME, other, ignore)"
    )]
    UnknownField(String),
    #[error("`{0}` is not COLUMN=FIELD")]
    BadPair(String),
    #[error("there is no column `{column}` (the columns are: {})", headers.join(", "))]
    NoSuchColumn {
        column: String,
        headers: Vec<String>,
    },
}

// ---------------------------------------------------------------------------------------------
// Header names.

/// A header's language, for the date order and `¥`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Lang {
    En,
    Zh,
    De,
    Fr,
    Es,
    Ja,
    /// Spelled the same in several languages (`Email`, `Tags`, `Adresse`).
    Any,
}

use Lang::{Any, De, En, Es, Fr, Ja, Zh};
use Target as T;

/// Header names we know, as people write them (folded at lookup).
const HEADERS: &[(Target, Lang, &[&str])] = &[
    (
        T::Customer,
        Zh,
        &[
            "客户名称",
            "客户",
            "客户名",
            "客户姓名",
            "客户全称",
            "顾客",
            "顾客名称",
            "客戶名稱",
            "客戶",
            "客戶名",
            "客戶姓名",
            "顧客名稱",
        ],
    ),
    (
        T::Customer,
        De,
        &["Kunde", "Kundenname", "Kunden", "Kundin"],
    ),
    (T::Customer, Fr, &["Nom du client", "Nom client"]),
    (T::Customer, Any, &["Client"]),
    (
        T::Customer,
        Es,
        &["Cliente", "Nombre del cliente", "Nombre cliente"],
    ),
    (
        T::Customer,
        Ja,
        &["顧客名", "顧客", "取引先", "取引先名", "お客様名"],
    ),
    (
        T::Customer,
        En,
        &["Customer", "Customer name", "Account", "Account name"],
    ),
    (
        T::Company,
        Zh,
        &[
            "公司名称",
            "公司",
            "公司名",
            "公司全称",
            "单位",
            "单位名称",
            "企业名称",
            "企业",
            "工作单位",
            "公司名稱",
            "單位",
            "單位名稱",
            "企業名稱",
            "機構名稱",
        ],
    ),
    (
        T::Company,
        De,
        &["Firma", "Firmenname", "Unternehmen", "Organisation"],
    ),
    (
        T::Company,
        Fr,
        &[
            "Société",
            "Entreprise",
            "Raison sociale",
            "Nom de l'entreprise",
            "Nom de la société",
        ],
    ),
    (
        T::Company,
        Es,
        &[
            "Empresa",
            "Nombre de la empresa",
            "Razón social",
            "Compañía",
        ],
    ),
    (
        T::Company,
        Ja,
        &["会社名", "会社", "企業名", "法人名", "社名"],
    ),
    (
        T::Company,
        En,
        &[
            "Company",
            "Company name",
            "Organization",
            "Organisation name",
            "Organization name",
            "Business",
            "Business name",
        ],
    ),
    (
        T::Contact,
        Zh,
        &[
            "联系人",
            "联系人姓名",
            "姓名",
            "联系人名称",
            "名字",
            "聯絡人",
            "聯繫人",
            "聯絡人姓名",
            "聯繫人姓名",
        ],
    ),
    (
        T::Contact,
        De,
        &[
            "Ansprechpartner",
            "Ansprechpartnerin",
            "Kontaktperson",
            "Kontakt",
        ],
    ),
    (T::Contact, Fr, &["Nom du contact", "Interlocuteur", "Nom"]),
    (T::Contact, Any, &["Name", "Contact"]),
    (
        T::Contact,
        Es,
        &[
            "Contacto",
            "Persona de contacto",
            "Nombre de contacto",
            "Nombre",
        ],
    ),
    (
        T::Contact,
        Ja,
        &["担当者", "担当者名", "氏名", "名前", "ご担当者"],
    ),
    (
        T::Contact,
        En,
        &["Contact name", "Contact person", "Full name"],
    ),
    (
        T::FirstName,
        Any,
        &["Vorname", "Prénom", "First name", "Given name", "Firstname"],
    ),
    (
        T::LastName,
        Any,
        &[
            "Nachname",
            "Familienname",
            "Apellidos",
            "Apellido",
            "Last name",
            "Surname",
            "Family name",
            "Lastname",
        ],
    ),
    (
        T::Title,
        Zh,
        &["职位", "职务", "头衔", "岗位", "職位", "職務", "職稱"],
    ),
    (T::Title, De, &["Funktion", "Titel", "Stellung"]),
    (T::Title, Any, &["Position"]),
    (T::Title, Fr, &["Fonction", "Poste", "Titre"]),
    (T::Title, Es, &["Cargo", "Puesto"]),
    (T::Title, Ja, &["役職", "肩書", "肩書き"]),
    (T::Title, En, &["Title", "Job title", "Role"]),
    (
        T::Phone,
        Zh,
        &[
            "手机",
            "手机号",
            "手机号码",
            "电话",
            "联系电话",
            "电话号码",
            "座机",
            "移动电话",
            "联系方式",
            "固定电话",
            "办公电话",
            "手機",
            "手機號碼",
            "電話",
            "聯絡電話",
            "聯繫電話",
            "電話號碼",
            "行動電話",
        ],
    ),
    (
        T::Phone,
        De,
        &[
            "Telefon",
            "Telefonnummer",
            "Mobil",
            "Mobiltelefon",
            "Handy",
            "Mobilnummer",
            "Festnetz",
        ],
    ),
    (
        T::Phone,
        Fr,
        &[
            "Téléphone",
            "Tél",
            "Portable",
            "Numéro de téléphone",
            "Tél portable",
        ],
    ),
    (
        T::Phone,
        Es,
        &["Teléfono", "Móvil", "Celular", "Número de teléfono"],
    ),
    (T::Phone, Any, &["Tel", "Mobile"]),
    (
        T::Phone,
        Ja,
        &["電話番号", "電話", "携帯", "携帯電話", "携帯番号", "TEL"],
    ),
    (
        T::Phone,
        En,
        &[
            "Phone",
            "Phone number",
            "Mobile phone",
            "Cell",
            "Cell phone",
            "Telephone",
            "Work phone",
        ],
    ),
    (
        T::Email,
        Zh,
        &[
            "邮箱",
            "电子邮件",
            "电子邮箱",
            "邮件",
            "邮箱地址",
            "郵箱",
            "電子郵件",
            "電郵",
            "電子信箱",
        ],
    ),
    (T::Email, De, &["E-Mail-Adresse", "Mailadresse"]),
    (
        T::Email,
        Fr,
        &["Courriel", "Adresse e-mail", "Adresse mail", "Mél"],
    ),
    (
        T::Email,
        Es,
        &["Correo", "Correo electrónico", "Email de contacto"],
    ),
    (T::Email, Ja, &["メール", "メールアドレス", "Eメール"]),
    (
        T::Email,
        Any,
        &["E-Mail", "Email", "Mail", "Email address", "E-mail address"],
    ),
    (
        T::Address,
        Zh,
        &[
            "地址",
            "详细地址",
            "通讯地址",
            "联系地址",
            "公司地址",
            "住址",
            "地區地址",
            "詳細地址",
            "通訊地址",
            "聯絡地址",
        ],
    ),
    (T::Address, De, &["Anschrift"]),
    (T::Address, Any, &["Adresse", "Address"]),
    (T::Address, Es, &["Dirección", "Domicilio"]),
    (T::Address, Ja, &["住所", "所在地"]),
    (
        T::Street,
        Any,
        &[
            "Straße",
            "Strasse",
            "Straße und Hausnummer",
            "Rue",
            "Calle",
            "Street",
            "Street address",
            "街道",
        ],
    ),
    (T::Postcode, Zh, &["邮编", "邮政编码", "郵遞區號", "郵編"]),
    (T::Postcode, De, &["PLZ", "Postleitzahl"]),
    (T::Postcode, Fr, &["Code postal", "CP"]),
    (T::Postcode, Es, &["Código postal"]),
    (T::Postcode, Ja, &["郵便番号"]),
    (
        T::Postcode,
        En,
        &["Zip", "Zip code", "Postcode", "Postal code"],
    ),
    (T::City, Zh, &["城市", "所在城市", "市"]),
    (T::City, De, &["Ort", "Stadt", "Wohnort"]),
    (T::City, Fr, &["Ville", "Localité"]),
    (T::City, Es, &["Ciudad", "Localidad", "Población"]),
    (T::City, Ja, &["市区町村"]),
    (T::City, En, &["City", "Town"]),
    (T::District, Zh, &["区县", "区", "县", "区域", "區", "區縣"]),
    (
        T::Region,
        Zh,
        &["省份", "省", "所在省份", "地区", "省市", "地區"],
    ),
    (T::Region, De, &["Bundesland"]),
    (T::Region, Fr, &["Région", "Département"]),
    (T::Region, Es, &["Provincia", "Comunidad autónoma"]),
    (T::Region, Ja, &["都道府県"]),
    (T::Region, En, &["State", "Province", "Region", "County"]),
    (T::Country, Zh, &["国家", "國家"]),
    (T::Country, De, &["Land"]),
    (T::Country, Fr, &["Pays"]),
    (T::Country, Es, &["País"]),
    (T::Country, Ja, &["国"]),
    (T::Country, En, &["Country"]),
    (
        T::Website,
        Zh,
        &["网站", "网址", "官网", "主页", "網站", "網址"],
    ),
    (T::Website, De, &["Webseite", "Internetseite", "Homepage"]),
    (T::Website, Fr, &["Site web", "Site internet"]),
    (T::Website, Es, &["Sitio web", "Página web"]),
    (T::Website, Ja, &["ウェブサイト", "ホームページ", "HP"]),
    (T::Website, Any, &["Website", "Web", "URL"]),
    (
        T::Industry,
        Zh,
        &["行业", "所属行业", "行业类别", "行業", "所屬行業"],
    ),
    (T::Industry, De, &["Branche", "Industrie"]),
    (T::Industry, Fr, &["Secteur", "Secteur d'activité"]),
    (T::Industry, Es, &["Industria", "Rubro"]),
    (T::Industry, Any, &["Sector"]),
    (T::Industry, Ja, &["業種", "業界"]),
    (T::Industry, En, &["Industry"]),
    (
        T::Owner,
        Zh,
        &[
            "负责人",
            "业务员",
            "销售",
            "销售员",
            "销售人员",
            "跟进人",
            "归属人",
            "客户经理",
            "业务负责人",
            "所属销售",
            "負責人",
            "業務員",
            "銷售",
            "銷售員",
            "業務",
            "客戶經理",
        ],
    ),
    (
        T::Owner,
        De,
        &[
            "Vertriebsmitarbeiter",
            "Vertriebsmitarbeiterin",
            "Vertrieb",
            "Betreuer",
            "Kundenbetreuer",
            "Zuständig",
            "Verantwortlich",
            "Außendienst",
        ],
    ),
    (
        T::Owner,
        Fr,
        &[
            "Commercial",
            "Vendeur",
            "Chargé d'affaires",
            "Responsable commercial",
        ],
    ),
    (
        T::Owner,
        Es,
        &[
            "Vendedor",
            "Comercial",
            "Responsable",
            "Ejecutivo de ventas",
        ],
    ),
    (
        T::Owner,
        Ja,
        &["担当営業", "営業担当", "営業担当者", "担当", "営業"],
    ),
    (
        T::Owner,
        En,
        &[
            "Owner",
            "Salesperson",
            "Sales rep",
            "Account manager",
            "Assigned to",
            "Account owner",
        ],
    ),
    (
        T::Source,
        Zh,
        &["来源", "客户来源", "渠道", "来源渠道", "來源", "客戶來源"],
    ),
    (T::Source, De, &["Quelle", "Herkunft", "Leadquelle"]),
    (T::Source, Fr, &["Provenance", "Origine"]),
    (T::Source, Es, &["Origen", "Fuente", "Canal"]),
    (T::Source, Ja, &["流入経路", "経路", "きっかけ"]),
    (T::Source, Any, &["Source", "Lead source", "Channel"]),
    (
        T::Tags,
        Zh,
        &[
            "标签",
            "分类",
            "类别",
            "客户分类",
            "客户类型",
            "標籤",
            "分類",
            "類別",
        ],
    ),
    (
        T::Tags,
        De,
        &["Schlagworte", "Kategorien", "Kategorie", "Stichworte"],
    ),
    (T::Tags, Fr, &["Étiquettes", "Catégories", "Catégorie"]),
    (T::Tags, Es, &["Etiquetas", "Categorías", "Categoría"]),
    (T::Tags, Ja, &["タグ", "分類", "カテゴリ"]),
    (
        T::Tags,
        Any,
        &["Tags", "Tag", "Labels", "Categories", "Category"],
    ),
    (
        T::Notes,
        Zh,
        &["备注", "说明", "备注信息", "描述", "備註", "說明"],
    ),
    (
        T::Notes,
        De,
        &[
            "Notiz",
            "Notizen",
            "Bemerkung",
            "Bemerkungen",
            "Anmerkung",
            "Anmerkungen",
            "Kommentar",
        ],
    ),
    (
        T::Notes,
        Fr,
        &["Remarques", "Remarque", "Commentaire", "Commentaires"],
    ),
    (
        T::Notes,
        Es,
        &["Notas", "Nota", "Observaciones", "Comentarios"],
    ),
    (T::Notes, Ja, &["備考", "メモ", "コメント"]),
    (
        T::Notes,
        Any,
        &["Notes", "Note", "Comments", "Comment", "Remarks", "Memo"],
    ),
    (T::Birthday, Zh, &["生日", "出生日期", "出生年月"]),
    (T::Birthday, De, &["Geburtstag", "Geburtsdatum"]),
    (T::Birthday, Fr, &["Anniversaire", "Date de naissance"]),
    (T::Birthday, Es, &["Cumpleaños", "Fecha de nacimiento"]),
    (T::Birthday, Ja, &["誕生日", "生年月日"]),
    (
        T::Birthday,
        En,
        &["Birthday", "Date of birth", "Birth date", "DOB"],
    ),
    (
        T::LastContact,
        Zh,
        &[
            "最近拜访",
            "最近联系",
            "上次拜访",
            "上次联系",
            "最后拜访",
            "最后联系",
            "最近跟进",
            "拜访日期",
            "最近拜访日期",
            "最近联系日期",
            "上次拜访日期",
            "最近拜訪",
            "最近聯繫",
            "最近聯絡",
            "上次拜訪",
        ],
    ),
    (
        T::LastContact,
        De,
        &[
            "Letzter Besuch",
            "Letzter Kontakt",
            "Zuletzt kontaktiert",
            "Letztes Gespräch",
        ],
    ),
    (T::LastContact, Fr, &["Dernière visite", "Dernier contact"]),
    (T::LastContact, Es, &["Última visita", "Último contacto"]),
    (
        T::LastContact,
        Ja,
        &[
            "最終訪問日",
            "最終訪問",
            "最終接触日",
            "前回訪問日",
            "前回訪問",
        ],
    ),
    (
        T::LastContact,
        En,
        &[
            "Last visit",
            "Last contact",
            "Last contacted",
            "Last contact date",
            "Last visit date",
        ],
    ),
    (
        T::NextVisit,
        Zh,
        &[
            "下次回访",
            "下次拜访",
            "下次跟进",
            "回访日期",
            "下次联系",
            "下次回访日期",
            "下次拜访日期",
            "计划回访",
            "下次回訪",
            "下次拜訪",
            "下次聯繫",
        ],
    ),
    (
        T::NextVisit,
        De,
        &["Nächster Besuch", "Nächster Kontakt", "Wiedervorlage"],
    ),
    (
        T::NextVisit,
        Fr,
        &["Prochaine visite", "Prochain contact", "Relance"],
    ),
    (T::NextVisit, Es, &["Próxima visita", "Próximo contacto"]),
    (
        T::NextVisit,
        Ja,
        &["次回訪問日", "次回訪問", "次回連絡日", "次回予定"],
    ),
    (
        T::NextVisit,
        En,
        &[
            "Next visit",
            "Next contact",
            "Follow up",
            "Follow-up date",
            "Next follow-up",
            "Next revisit",
        ],
    ),
    (
        T::Sales,
        Zh,
        &[
            "销售额",
            "销售金额",
            "金额",
            "成交金额",
            "合同金额",
            "订单金额",
            "营业额",
            "年销售额",
            "銷售額",
            "銷售金額",
            "金額",
            "成交金額",
        ],
    ),
    (
        T::Sales,
        De,
        &["Umsatz", "Betrag", "Auftragswert", "Jahresumsatz"],
    ),
    (T::Sales, Fr, &["Chiffre d'affaires", "CA", "Montant"]),
    (T::Sales, Es, &["Ventas", "Importe", "Monto", "Facturación"]),
    (T::Sales, Ja, &["売上", "売上高", "売上金額", "受注金額"]),
    (
        T::Sales,
        En,
        &["Sales", "Amount", "Revenue", "Sales amount", "Turnover"],
    ),
    (
        T::SalesDate,
        Zh,
        &[
            "成交日期",
            "销售日期",
            "签约日期",
            "订单日期",
            "成交时间",
            "銷售日期",
            "成交日期",
        ],
    ),
    (
        T::SalesDate,
        De,
        &["Umsatzdatum", "Auftragsdatum", "Verkaufsdatum"],
    ),
    (T::SalesDate, Fr, &["Date de vente", "Date de commande"]),
    (T::SalesDate, Es, &["Fecha de venta", "Fecha del pedido"]),
    (T::SalesDate, Ja, &["売上日", "受注日", "成約日"]),
    (
        T::SalesDate,
        En,
        &["Sales date", "Order date", "Close date", "Closed date"],
    ),
];

/// `é` → `e`, `ß` → `ss`: accents people drop when typing headers.
fn strip_accent(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => "a",
        'ç' => "c",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ñ' => "n",
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' => "o",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'ß' => "ss",
        _ => return None,
    })
}

/// A header folded for matching: NFKC (full-width letters), lower case, accents dropped,
/// only letters and digits kept (`*电话：` → `电话`, `E-Mail` → `email`).
pub fn header_key(h: &str) -> String {
    let mut out = String::new();
    for c in rapport_model::text::fold(h).chars() {
        if let Some(s) = strip_accent(c) {
            out.push_str(s);
        } else if c.is_alphanumeric() {
            out.push(c);
        }
    }
    out
}

/// The header without what is in brackets (`销售额（元）` → `销售额`).
fn without_brackets(h: &str) -> String {
    let mut out = String::new();
    let mut depth = 0u32;
    for c in rapport_model::text::fold(h).chars() {
        match c {
            '(' | '[' | '【' | '〔' => depth += 1,
            ')' | ']' | '】' | '〕' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
}

struct Dictionary {
    exact: HashMap<String, (Target, Lang)>,
    /// CJK keys of 2+ characters, longest first, for `联系人手机` (suffix) matches.
    cjk: Vec<(String, Target, Lang)>,
}

fn dictionary() -> &'static Dictionary {
    static D: OnceLock<Dictionary> = OnceLock::new();
    D.get_or_init(|| {
        let mut exact = HashMap::new();
        let mut cjk = Vec::new();
        for (target, lang, names) in HEADERS {
            for n in *names {
                let k = header_key(n);
                if k.is_empty() {
                    continue;
                }
                exact
                    .entry(k.clone())
                    .or_insert_with(|| (target.clone(), *lang));
                if k.chars().count() >= 2 && k.chars().all(is_cjk) {
                    cjk.push((k, target.clone(), *lang));
                }
            }
        }
        cjk.sort_by_key(|(k, _, _)| std::cmp::Reverse(k.chars().count()));
        Dictionary { exact, cjk }
    })
}

/// The built-in target and language of a header, if we know it.
fn lookup(h: &str) -> Option<(Target, Lang)> {
    let d = dictionary();
    let key = header_key(h);
    let trimmed = key.trim_end_matches(|c: char| c.is_ascii_digit());
    let bare = header_key(&without_brackets(h));
    let bare_trimmed = bare.trim_end_matches(|c: char| c.is_ascii_digit());
    if h.trim() == "〒" {
        return Some((T::Postcode, Ja));
    }
    for k in [key.as_str(), trimmed, bare.as_str(), bare_trimmed] {
        if k.is_empty() {
            continue;
        }
        if let Some(hit) = d.exact.get(k) {
            return Some(hit.clone());
        }
    }
    // CJK compounds: the head noun is last (`联系人手机` is a phone), else first.
    if bare_trimmed.chars().any(is_cjk) {
        if let Some((_, t, l)) = d
            .cjk
            .iter()
            .find(|(k, _, _)| bare_trimmed.ends_with(k.as_str()))
        {
            return Some((t.clone(), *l));
        }
        if let Some((_, t, l)) = d
            .cjk
            .iter()
            .find(|(k, _, _)| bare_trimmed.starts_with(k.as_str()))
        {
            return Some((t.clone(), *l));
        }
    }
    None
}

/// The built-in target of a header (`客戶名稱` → customer, `E-Mail：` → email), if any.
pub fn builtin_target(h: &str) -> Option<Target> {
    // Derived columns of our own export (`Tier (computed)`) are never imported.
    if h.trim_end().ends_with("(computed)") {
        return Some(Target::Ignore);
    }
    if matches!(
        header_key(h).as_str(),
        "kind" | "customerkind" | "客户类型" | "类型"
    ) {
        return Some(Target::Kind);
    }
    lookup(h).map(|(t, _)| t)
}

/// The language most of the headers we know are in, if any.
pub fn headers_language(headers: &[String]) -> Option<Lang> {
    let mut votes: HashMap<Lang, usize> = HashMap::new();
    for h in headers {
        if let Some((_, l)) = lookup(h)
            && l != Any
        {
            *votes.entry(l).or_default() += 1;
        }
    }
    // The language with the most headers; a tie is no language.
    let mut ranked: Vec<(Lang, usize)> = votes.into_iter().collect();
    ranked.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    match ranked.as_slice() {
        [(l, _)] => Some(*l),
        [(l, a), (_, b), ..] if a > b => Some(*l),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Mappings.

/// One column's place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMapping {
    /// 0-based column index.
    pub index: usize,
    pub header: String,
    /// `None`: not placed (its values are kept in the notes, as `other`).
    pub target: Option<Target>,
}

/// Columns to fields for one sheet layout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    /// [`header_signature`] of the headers it was made for.
    pub signature: String,
    pub columns: Vec<ColumnMapping>,
}

/// A stable id of a header layout: blake3 of the [`header_key`]s in order (hex, 32 digits),
/// so `客户名称 | 电话` and `客户名称： | 电话 ` share a remembered mapping.
pub fn header_signature(headers: &[String]) -> String {
    let mut h = blake3::Hasher::new();
    for k in headers {
        h.update(header_key(k).as_bytes());
        h.update(&[0x1f]);
    }
    h.finalize().to_hex()[..32].to_string()
}

/// Proposes a target per column: a team custom field of the same (folded) name first, else a
/// header we know. `nombre` / `name` next to a last-name column is the first name, `nom` next
/// to a first-name column the last name.
pub fn suggest(headers: &[String], custom_field_names: &[String]) -> Mapping {
    let custom: HashMap<String, &String> = custom_field_names
        .iter()
        .map(|n| (header_key(n), n))
        .filter(|(k, _)| !k.is_empty())
        .collect();
    let mut columns: Vec<ColumnMapping> = headers
        .iter()
        .enumerate()
        .map(|(index, h)| {
            let k = header_key(h);
            let target = match custom.get(&k) {
                Some(name) => Some(Target::Custom((*name).clone())),
                None => builtin_target(h),
            };
            ColumnMapping {
                index,
                header: h.clone(),
                target,
            }
        })
        .collect();
    let has = |cols: &[ColumnMapping], t: Target| cols.iter().any(|c| c.target == Some(t.clone()));
    let (has_first, has_last) = (has(&columns, T::FirstName), has(&columns, T::LastName));
    for c in &mut columns {
        if c.target != Some(T::Contact) {
            continue;
        }
        let k = header_key(&c.header);
        if has_last && !has_first && matches!(k.as_str(), "name" | "nombre") {
            c.target = Some(T::FirstName);
        } else if has_first && !has_last && matches!(k.as_str(), "nom" | "name") {
            c.target = Some(T::LastName);
        }
    }
    Mapping {
        signature: header_signature(headers),
        columns,
    }
}

/// `COLUMN=FIELD` (`Kundennr.=ignore`, `机型=custom:Machine model`).
pub fn parse_pair(s: &str) -> Result<(String, Target), MappingError> {
    let (col, field) = s
        .split_once('=')
        .ok_or_else(|| MappingError::BadPair(s.to_string()))?;
    let col = col.trim();
    if col.is_empty() {
        return Err(MappingError::BadPair(s.to_string()));
    }
    Ok((col.to_string(), field.parse()?))
}

impl Mapping {
    /// Columns [`suggest`] could not place.
    pub fn unplaced(&self) -> Vec<&ColumnMapping> {
        self.columns.iter().filter(|c| c.target.is_none()).collect()
    }

    /// The target of column `index`, if placed.
    pub fn target(&self, index: usize) -> Option<&Target> {
        self.columns
            .iter()
            .find(|c| c.index == index)
            .and_then(|c| c.target.as_ref())
    }

    /// Whether this mapping was made for `headers`' layout.
    pub fn fits(&self, headers: &[String]) -> bool {
        self.signature == header_signature(headers)
    }

    /// Sets the target of the columns named `column`: every column whose header folds the
    /// same, else the column with that letter (`F`).
    pub fn set(&mut self, column: &str, target: Target) -> Result<(), MappingError> {
        let k = header_key(column);
        let mut hit = false;
        for c in &mut self.columns {
            if header_key(&c.header) == k && !k.is_empty() {
                c.target = Some(target.clone());
                hit = true;
            }
        }
        if !hit {
            let letter = column.trim().to_ascii_uppercase();
            if let Some(c) = self
                .columns
                .iter_mut()
                .find(|c| crate::sheet::column_letter(c.index) == letter)
            {
                c.target = Some(target);
                hit = true;
            }
        }
        if hit {
            Ok(())
        } else {
            Err(MappingError::NoSuchColumn {
                column: column.to_string(),
                headers: self.columns.iter().map(|c| c.header.clone()).collect(),
            })
        }
    }

    /// Applies `COLUMN=FIELD` pairs in order.
    pub fn apply_pairs<S: AsRef<str>>(&mut self, pairs: &[S]) -> Result<(), MappingError> {
        for p in pairs {
            let (col, target) = parse_pair(p.as_ref())?;
            self.set(&col, target)?;
        }
        Ok(())
    }

    /// A mapping of `headers` from pairs alone (columns not named are not placed).
    pub fn from_pairs<S: AsRef<str>>(
        headers: &[String],
        pairs: &[S],
    ) -> Result<Self, MappingError> {
        let mut m = Mapping {
            signature: header_signature(headers),
            columns: headers
                .iter()
                .enumerate()
                .map(|(index, h)| ColumnMapping {
                    index,
                    header: h.clone(),
                    target: None,
                })
                .collect(),
        };
        m.apply_pairs(pairs)?;
        Ok(m)
    }

    /// One `COLUMN=FIELD` per column (a column not placed prints as `other`, which is what
    /// becomes of it).
    pub fn to_pairs(&self) -> Vec<String> {
        self.columns
            .iter()
            .map(|c| {
                format!(
                    "{}={}",
                    c.header,
                    c.target
                        .as_ref()
                        .map_or("other".to_string(), Target::to_string)
                )
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Cell parsers.

/// The date of an Excel serial day number. The 1900 system counts from 1900-01-01 = 1 and,
/// like Lotus 1-2-3, has a 1900-02-29 (60) that never was: 60 is refused and days after it
/// are one less. The 1904 system (old Mac Excel) counts from 1904-01-01 = 0.
pub fn excel_serial_date(serial: i64, is_1904: bool) -> Option<NaiveDate> {
    if is_1904 {
        if serial < 0 {
            return None;
        }
        return NaiveDate::from_ymd_opt(1904, 1, 1)?
            .checked_add_days(chrono::Days::new(serial as u64));
    }
    let base = NaiveDate::from_ymd_opt(1899, 12, 31)?;
    match serial {
        1..=59 => base.checked_add_days(chrono::Days::new(serial as u64)),
        61..=2_958_465 => base.checked_add_days(chrono::Days::new(serial as u64 - 1)),
        _ => None,
    }
}

/// Which comes first in `03/12/2026`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateOrder {
    /// Day, month, year (German, French, Spanish, British).
    Dmy,
    /// Month, day, year (US).
    Mdy,
}

/// A date read from text; `NoYear` for `12月3日` or `3.12.`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParsedDate {
    Full(NaiveDate),
    NoYear { month: u32, day: u32 },
}

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("januar", 1),
    ("janvier", 1),
    ("enero", 1),
    ("jänner", 1),
    ("february", 2),
    ("feb", 2),
    ("februar", 2),
    ("février", 2),
    ("fevrier", 2),
    ("febrero", 2),
    ("march", 3),
    ("mar", 3),
    ("märz", 3),
    ("marz", 3),
    ("mars", 3),
    ("marzo", 3),
    ("april", 4),
    ("apr", 4),
    ("avril", 4),
    ("abril", 4),
    ("may", 5),
    ("mai", 5),
    ("mayo", 5),
    ("june", 6),
    ("jun", 6),
    ("juni", 6),
    ("juin", 6),
    ("junio", 6),
    ("july", 7),
    ("jul", 7),
    ("juli", 7),
    ("juillet", 7),
    ("julio", 7),
    ("august", 8),
    ("aug", 8),
    ("août", 8),
    ("aout", 8),
    ("agosto", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("septembre", 9),
    ("septiembre", 9),
    ("setiembre", 9),
    ("october", 10),
    ("oct", 10),
    ("oktober", 10),
    ("okt", 10),
    ("octobre", 10),
    ("octubre", 10),
    ("november", 11),
    ("nov", 11),
    ("novembre", 11),
    ("noviembre", 11),
    ("december", 12),
    ("dec", 12),
    ("dezember", 12),
    ("dez", 12),
    ("décembre", 12),
    ("decembre", 12),
    ("diciembre", 12),
    ("dic", 12),
];

fn ymd(y: i64, m: u32, d: u32) -> Result<NaiveDate, ()> {
    let y = if (0..100).contains(&y) {
        if y < 70 { 2000 + y } else { 1900 + y }
    } else {
        y
    };
    let y = i32::try_from(y).map_err(|_| ())?;
    NaiveDate::from_ymd_opt(y, m, d)
        .filter(|d| (1000..=9999).contains(&d.year()))
        .ok_or(())
}

/// Reads a date typed as text: `2026-12-03`, `2026/12/3`, `2026.12.03`, `20261203`,
/// `2026年12月3日`, `3.12.2026` (always day first), `12/3/2026` or `03/12/2026` (`order`
/// decides unless a number above 12 does), `3 Dec 2026`, `December 3, 2026`,
/// `3. Dezember 2026`, `3 de diciembre de 2026`; `12月3日` and `3.12.` have no year. A time
/// after the date is ignored.
pub fn parse_date(text: &str, order: DateOrder) -> Result<ParsedDate, String> {
    let bad = || format!("`{}` is not a date", excerpt(text.trim()));
    let t = rapport_model::text::fold(text);
    // Drop a time: "2026-12-03 10:30", "2026-12-03T10:30:00".
    let t = t
        .split_once([' ', 't'])
        .filter(|(d, rest)| rest.contains(':') && d.chars().any(|c| c.is_ascii_digit()))
        .map_or(t.as_str(), |(d, _)| d)
        .trim()
        .to_string();
    let full = |r: Result<NaiveDate, ()>| r.map(ParsedDate::Full).map_err(|_| bad());
    // 年月日
    if t.contains('月') {
        let nums: Vec<i64> = t
            .split(|c: char| !c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .map(|s| s.parse().unwrap_or(-1))
            .collect();
        return match (t.contains('年'), nums.as_slice()) {
            (true, [y, m, d]) => full(ymd(*y, *m as u32, *d as u32)),
            (false, [m, d]) if (1..=12).contains(m) && (1..=31).contains(d) => {
                Ok(ParsedDate::NoYear {
                    month: *m as u32,
                    day: *d as u32,
                })
            }
            _ => Err(bad()),
        };
    }
    if t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit()) {
        let (y, m, d) = (&t[..4], &t[4..6], &t[6..]);
        return full(ymd(
            y.parse().map_err(|_| bad())?,
            m.parse().map_err(|_| bad())?,
            d.parse().map_err(|_| bad())?,
        ));
    }
    let parts: Vec<&str> = t
        .split(['/', '-', '.', ' ', ','])
        .filter(|s| !s.is_empty() && *s != "de")
        .collect();
    let all_digits = parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()));
    let num = |s: &str| s.parse::<i64>().map_err(|_| bad());
    if all_digits {
        let dotted = t.contains('.') && !t.contains('/') && !t.contains('-');
        return match parts.as_slice() {
            [a, b, c] if a.len() == 4 => full(ymd(num(a)?, num(b)? as u32, num(c)? as u32)),
            [a, b, c] if c.len() == 4 || c.len() == 2 => {
                let (a, b, y) = (num(a)?, num(b)?, num(c)?);
                let day_first = if dotted || a > 12 {
                    true
                } else if b > 12 {
                    false
                } else {
                    order == DateOrder::Dmy
                };
                let (d, m) = if day_first { (a, b) } else { (b, a) };
                full(ymd(y, m as u32, d as u32))
            }
            [a, b] if dotted && t.ends_with('.') => {
                let (d, m) = (num(a)?, num(b)?);
                if (1..=12).contains(&m) && (1..=31).contains(&d) {
                    Ok(ParsedDate::NoYear {
                        month: m as u32,
                        day: d as u32,
                    })
                } else {
                    Err(bad())
                }
            }
            _ => Err(bad()),
        };
    }
    // Month names: one name and two numbers (a day and a four-digit year).
    let mut month = None;
    let mut nums = Vec::new();
    for p in &parts {
        if p.bytes().all(|b| b.is_ascii_digit()) {
            nums.push(*p);
        } else if let Some((_, m)) = MONTHS.iter().find(|(n, _)| n == p) {
            if month.replace(*m).is_some() {
                return Err(bad());
            }
        } else {
            return Err(bad());
        }
    }
    match (month, nums.as_slice()) {
        (Some(m), [a, b]) if b.len() == 4 => full(ymd(num(b)?, m, num(a)? as u32)),
        (Some(m), [a, b]) if a.len() == 4 => full(ymd(num(a)?, m, num(b)? as u32)),
        _ => Err(bad()),
    }
}

/// A date cell: a date cell as it is, a number as an Excel serial (or `20261203`), text by
/// [`parse_date`].
pub fn date_of_cell(cell: &Cell, order: DateOrder) -> Result<ParsedDate, String> {
    match cell {
        Cell::Date(d) => Ok(ParsedDate::Full(*d)),
        Cell::DateTime(d) => Ok(ParsedDate::Full(d.date())),
        Cell::Number(n) => {
            let i = *n as i64;
            if n.fract() == 0.0 && (10_000_101..=99_991_231).contains(&i) {
                return parse_date(&i.to_string(), order);
            }
            excel_serial_date(n.trunc() as i64, false)
                .filter(|_| *n >= 1.0)
                .map(ParsedDate::Full)
                .ok_or_else(|| format!("`{}` is not a date", number_text(*n)))
        }
        Cell::Text(t) => parse_date(t, order),
        other => Err(format!("`{}` is not a date", other.text())),
    }
}

/// `¥` is JPY or CNY; this says which.
fn yen(currency: Currency, japanese: bool) -> Currency {
    if japanese || currency.code() == "JPY" {
        currency_of("JPY").unwrap_or(currency)
    } else {
        currency_of("CNY").unwrap_or(currency)
    }
}

fn currency_of(code: &str) -> Option<Currency> {
    Currency::parse(code, "currency").ok()
}

/// The currency and multiplier a header names in it (`销售额（元）` → CNY ×1,
/// `金额（万元）` → CNY ×10,000, `Umsatz (€)` → EUR, `Sales (USD)` → USD).
pub fn header_currency(header: &str) -> Option<(Currency, i64)> {
    let f = rapport_model::text::fold(header);
    let mult = if f.contains("万元") || f.contains("萬元") {
        10_000
    } else if f.contains("千元") {
        1_000
    } else {
        1
    };
    let code = if f.contains('€') || f.contains("eur") {
        "EUR"
    } else if f.contains("人民币") || f.contains('元') || f.contains("rmb") || f.contains("cny")
    {
        if f.contains("日元") {
            "JPY"
        } else if f.contains("美元") {
            "USD"
        } else if f.contains("港元") {
            "HKD"
        } else {
            "CNY"
        }
    } else if f.contains('円') || f.contains("jpy") {
        "JPY"
    } else if f.contains('$') || f.contains("usd") {
        "USD"
    } else if f.contains('£') || f.contains("gbp") {
        "GBP"
    } else if f.contains("chf") {
        "CHF"
    } else {
        return None;
    };
    currency_of(code).map(|c| (c, mult))
}

/// Reads an amount typed as text into `currency`'s minor units, exactly: `1.234,56`
/// (German), `1,234.56`, `¥1,234`, `125.000,00 €`, `$1,200`, `1 234,56` (French, with a
/// no-break space), `CHF 1'234.50`, `1234`. A symbol or code in the cell overrides `currency`
/// (`¥`: see [`header_currency`]'s module notes; `japanese` makes it JPY). The last of `,` and
/// `.` is the decimal mark when both appear; a lone one followed by exactly three digits
/// groups thousands. Negative amounts are refused.
pub fn parse_amount(text: &str, currency: Currency, japanese: bool) -> Result<Money, String> {
    let bad = || format!("`{}` is not an amount", excerpt(text.trim()));
    let raw = text.trim();
    let upper = raw.to_uppercase();
    let mut cur = currency;
    let has = |s: &str| upper.contains(s);
    if has("€") || has("EUR") {
        cur = currency_of("EUR").unwrap_or(cur);
    } else if has("US$") || has("USD") {
        cur = currency_of("USD").unwrap_or(cur);
    } else if has("HK$") || has("HKD") {
        cur = currency_of("HKD").unwrap_or(cur);
    } else if has("NT$") || has("TWD") {
        cur = currency_of("TWD").unwrap_or(cur);
    } else if has("$") {
        if !matches!(
            cur.code(),
            "USD" | "CAD" | "AUD" | "NZD" | "SGD" | "HKD" | "TWD" | "MXN" | "ARS" | "CLP" | "COP"
        ) {
            cur = currency_of("USD").unwrap_or(cur);
        }
    } else if has("¥") || has("￥") {
        cur = yen(cur, japanese);
    } else if has("円") || has("JPY") {
        cur = currency_of("JPY").unwrap_or(cur);
    } else if has("元") || has("RMB") || has("CNY") || has("人民币") {
        cur = currency_of("CNY").unwrap_or(cur);
    } else if has("£") || has("GBP") {
        cur = currency_of("GBP").unwrap_or(cur);
    } else if has("CHF") {
        cur = currency_of("CHF").unwrap_or(cur);
    }
    // What is left must be digits, separators and an optional sign.
    let mut letters = String::new();
    let mut num = String::new();
    for c in raw.chars() {
        match c {
            '0'..='9' | ',' | '.' | '-' | '(' | ')' => num.push(c),
            c if c.is_whitespace()
                || matches!(c, '\u{a0}' | '\u{202f}' | '\u{2009}' | '\'' | '’' | '+') => {}
            c if c.is_alphabetic() => letters.push(c),
            '€' | '$' | '¥' | '￥' | '£' => {}
            _ => return Err(bad()),
        }
    }
    let code = letters.to_uppercase();
    if !letters.is_empty()
        && !matches!(
            code.as_str(),
            "EUR"
                | "USD"
                | "US"
                | "HK"
                | "HKD"
                | "NT"
                | "TWD"
                | "JPY"
                | "円"
                | "元"
                | "RMB"
                | "CNY"
                | "人民币"
                | "GBP"
                | "CHF"
                | "FR"
                | "EURO"
                | "EUROS"
        )
    {
        match currency_of(&code) {
            Some(c) if code.len() == 3 => cur = c,
            _ => return Err(bad()),
        }
    }
    if num.starts_with('-') || num.ends_with('-') || (num.starts_with('(') && num.ends_with(')')) {
        return Err(format!("`{}` is negative", excerpt(raw)));
    }
    let num = num.replace(['(', ')'], "");
    if num.is_empty() || num.contains('-') {
        return Err(bad());
    }
    let (commas, dots) = (num.matches(',').count(), num.matches('.').count());
    let decimal = match (commas, dots) {
        (0, 0) => None,
        (_, 0) => decimal_if_lone(&num, ',', commas),
        (0, _) => decimal_if_lone(&num, '.', dots),
        _ => {
            let last_comma = num.rfind(',').unwrap_or(0);
            let last_dot = num.rfind('.').unwrap_or(0);
            let d = if last_comma > last_dot { ',' } else { '.' };
            if num.matches(d).count() > 1 {
                return Err(bad());
            }
            Some(d)
        }
    };
    let normalized: String = num
        .chars()
        .filter_map(|c| match c {
            ',' | '.' if Some(c) == decimal => Some('.'),
            ',' | '.' => None,
            c => Some(c),
        })
        .collect();
    Money::parse(&normalized, cur, "sales").map_err(|e| {
        let msg = e.to_string();
        msg.strip_prefix("sales: ").unwrap_or(&msg).to_string()
    })
}

/// Whether a separator appearing `count` times is the decimal mark: only a lone one not
/// followed by exactly three digits (`1,5`, `125,00`; `1,234` and `1.234` group thousands).
fn decimal_if_lone(num: &str, sep: char, count: usize) -> Option<char> {
    if count > 1 {
        return None;
    }
    let after = num.rsplit(sep).next().unwrap_or("");
    let before = num.split(sep).next().unwrap_or("");
    if after.len() == 3 && !before.is_empty() && before != "0" {
        None
    } else {
        Some(sep)
    }
}

/// An amount from a number cell, rounded to the currency's minor unit.
pub fn amount_of_number(n: f64, currency: Currency, multiplier: i64) -> Result<Money, String> {
    if !n.is_finite() {
        return Err(format!("`{n}` is not an amount"));
    }
    if n < 0.0 {
        return Err(format!("`{}` is negative", number_text(n)));
    }
    let scale = 10f64.powi(i32::from(currency.exponent())) * multiplier as f64;
    let minor = (n * scale).round();
    if minor > Money::MAX_MINOR as f64 {
        return Err(format!("`{}` is too large", number_text(n)));
    }
    Ok(Money {
        minor: minor as i64,
        currency,
    })
}

// ---------------------------------------------------------------------------------------------
// Rows to people.

/// How [`people_from_sheet`] reads values.
#[derive(Clone, Debug)]
pub struct PeopleOptions {
    /// The currency of amounts that name none (in the cell or the header).
    pub default_currency: Currency,
    /// The file's date: dates typed without a year (`12月3日`) take the year that puts them
    /// on or before it (after it for `next-visit`). Without it they are refused.
    pub file_date: Option<NaiveDate>,
    /// Forces day-first or month-first for `03/12/2026`.
    pub date_order: Option<DateOrder>,
}

const TOTAL_WORDS: &[&str] = &[
    "合计",
    "总计",
    "小计",
    "合計",
    "總計",
    "小計",
    "总额",
    "summe",
    "gesamt",
    "gesamtsumme",
    "zwischensumme",
    "total",
    "totals",
    "totaux",
    "totalgeneral",
    "sum",
    "grandtotal",
    "subtotal",
    "totalgeneral",
    "suma",
    "計",
    "総計",
];

fn is_total_word(s: &str) -> bool {
    let k = header_key(s);
    TOTAL_WORDS.iter().any(|w| header_key(w) == k)
}

const LEGAL_FORMS: &[&str] = &[
    "gmbh", "ag", "kg", "ohg", "ek", "gbr", "ug", "mbh", "sarl", "sas", "sa", "eurl", "sasu", "sl",
    "slu", "srl", "spa", "ltd", "llc", "inc", "corp", "co", "plc", "limited", "bv", "nv", "oy",
    "ab", "lp", "llp", "kk",
];
const CJK_ORG_MARKS: &[&str] = &[
    "公司",
    "集团",
    "集團",
    "有限",
    "企业",
    "企業",
    "厂",
    "廠",
    "工作室",
    "事务所",
    "事務所",
    "研究所",
    "医院",
    "醫院",
    "学校",
    "學校",
    "大学",
    "大學",
    "银行",
    "銀行",
    "商行",
    "商店",
    "超市",
    "酒店",
    "协会",
    "協會",
    "中心",
    "株式会社",
    "有限会社",
    "合同会社",
    "(株)",
    "㈱",
    "商事",
    "工業",
    "製作所",
];

/// Whether a name carries a legal form or an organisation word (`华东贸易有限公司`,
/// `Müller GmbH`, `Dupont SARL`, `株式会社山田製作所`).
pub fn looks_like_company(name: &str) -> bool {
    let f = rapport_model::text::fold(name);
    if CJK_ORG_MARKS.iter().any(|m| f.contains(m)) {
        return true;
    }
    f.split(|c: char| c.is_whitespace() || c == ',' || c == '&')
        .map(|w| w.replace('.', ""))
        .any(|w| LEGAL_FORMS.contains(&w.as_str()))
}

/// Whether `customer` columns name companies in this sheet (see the module docs).
pub fn customer_is_company(sheet: &Sheet, mapping: &Mapping) -> bool {
    let cols_of = |t: &Target| -> Vec<usize> {
        mapping
            .columns
            .iter()
            .filter(|c| c.target.as_ref() == Some(t))
            .map(|c| c.index)
            .collect()
    };
    if [T::Contact, T::FirstName, T::LastName]
        .iter()
        .any(|t| !cols_of(t).is_empty())
    {
        return true;
    }
    let cols = cols_of(&T::Customer);
    let (mut n, mut companies) = (0usize, 0usize);
    for r in &sheet.rows {
        for &c in &cols {
            let v = r.get(c).text();
            if !v.is_empty() && !is_total_word(&v) {
                n += 1;
                companies += usize::from(looks_like_company(&v));
            }
        }
    }
    n > 0 && companies * 2 >= n
}

/// The date order for this sheet (see the module docs).
pub fn date_order_of(sheet: &Sheet, mapping: &Mapping) -> DateOrder {
    let date_cols: Vec<usize> = mapping
        .columns
        .iter()
        .filter(|c| {
            matches!(
                c.target,
                Some(T::Birthday | T::LastContact | T::NextVisit | T::SalesDate)
            )
        })
        .map(|c| c.index)
        .collect();
    let (mut dmy, mut mdy) = (0, 0);
    for r in &sheet.rows {
        for &c in &date_cols {
            let Cell::Text(t) = r.get(c) else { continue };
            let parts: Vec<&str> = t.trim().split(['/', '-']).collect();
            if let [a, b, y] = parts.as_slice()
                && y.len() == 4
                && let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>())
            {
                if a > 12 && b <= 12 {
                    dmy += 1;
                } else if b > 12 && a <= 12 {
                    mdy += 1;
                }
            }
        }
    }
    if dmy > 0 && mdy == 0 {
        DateOrder::Dmy
    } else if mdy > 0 && dmy == 0 {
        DateOrder::Mdy
    } else {
        match headers_language(&sheet.headers) {
            Some(De | Fr | Es) => DateOrder::Dmy,
            _ => DateOrder::Mdy,
        }
    }
}

fn split_list(s: &str, seps: &[char]) -> Vec<String> {
    s.split(|c| seps.contains(&c))
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

/// One line: control characters (a line break typed into a cell) become spaces.
fn one_line(s: &str) -> String {
    let mut out = String::new();
    for w in s.split(char::is_control).filter(|w| !w.trim().is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w.trim());
    }
    out
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

#[derive(Default)]
struct AddressParts {
    full: Vec<String>,
    street: String,
    postcode: String,
    city: String,
    district: String,
    region: String,
    country: String,
}

impl AddressParts {
    /// One address: CJK addresses run from the largest part to the smallest
    /// (`广东省深圳市南山区科技园路1号 518057`), others `street, postcode city, region, country`.
    /// Parts the whole-address column already holds are not repeated.
    fn join(&self) -> String {
        let full = self.full.join(", ");
        let keep = |p: &String| !p.is_empty() && !full.contains(p.as_str());
        let cjk = [
            &self.street,
            &self.city,
            &self.district,
            &self.region,
            &full,
        ]
        .iter()
        .any(|p| p.chars().any(is_cjk));
        if cjk {
            let mut s = String::new();
            for p in [&self.country, &self.region, &self.city, &self.district] {
                if keep(p) && !self.street.contains(p.as_str()) {
                    s.push_str(p);
                }
            }
            s.push_str(&full);
            if keep(&self.street) {
                s.push_str(&self.street);
            }
            if keep(&self.postcode) {
                if !s.is_empty() {
                    s.push(' ');
                }
                s.push_str(&self.postcode);
            }
            s
        } else {
            let mut parts: Vec<String> = Vec::new();
            if !full.is_empty() {
                parts.push(full.clone());
            }
            if keep(&self.street) {
                parts.push(self.street.clone());
            }
            let pc: Vec<&str> = [&self.postcode, &self.city, &self.district]
                .into_iter()
                .filter(|p| keep(p))
                .map(String::as_str)
                .collect();
            if !pc.is_empty() {
                parts.push(pc.join(" "));
            }
            for p in [&self.region, &self.country] {
                if keep(p) {
                    parts.push(p.clone());
                }
            }
            parts.join(", ")
        }
    }
}

/// A date without a year placed in the year that puts it on or before `file_date` (on or
/// after it when `forward`).
fn place_year(month: u32, day: u32, file_date: NaiveDate, forward: bool) -> Option<NaiveDate> {
    let y = file_date.year();
    let this = NaiveDate::from_ymd_opt(y, month, day);
    match (this, forward) {
        (Some(d), false) if d <= file_date => Some(d),
        (Some(d), true) if d >= file_date => Some(d),
        (_, false) => NaiveDate::from_ymd_opt(y - 1, month, day),
        (_, true) => NaiveDate::from_ymd_opt(y + 1, month, day),
    }
}

/// Turns every data row into a [`Person`] by `mapping` (see the module docs for the
/// decisions). Returns the people and the rows that are not people (nothing identifies them,
/// a total row), each naming its line and column.
pub fn people_from_sheet(
    sheet: &Sheet,
    mapping: &Mapping,
    opts: &PeopleOptions,
) -> (Vec<Person>, Vec<RowError>) {
    let (people, mut bad, totals) = read_people(sheet, mapping, opts);
    bad.extend(totals);
    bad.sort_by_key(|e| e.line);
    (people, bad)
}

/// [`people_from_sheet`], with the total rows apart: `(people, bad rows, total rows)`. A
/// total row is not a person and not a mistake: the import leaves it out and says so.
pub fn read_people(
    sheet: &Sheet,
    mapping: &Mapping,
    opts: &PeopleOptions,
) -> (Vec<Person>, Vec<RowError>, Vec<RowError>) {
    let company_list = customer_is_company(sheet, mapping);
    let order = opts
        .date_order
        .unwrap_or_else(|| date_order_of(sheet, mapping));
    let japanese = headers_language(&sheet.headers) == Some(Ja);
    let targets: Vec<Option<Target>> = (0..sheet.headers.len())
        .map(|i| mapping.target(i).cloned())
        .collect();
    let currencies: Vec<(Currency, i64)> = sheet
        .headers
        .iter()
        .map(|h| header_currency(h).unwrap_or((opts.default_currency, 1)))
        .collect();
    let mut people = Vec::new();
    let mut bad = Vec::new();
    let mut totals = Vec::new();
    for row in &sheet.rows {
        if let Some(t) = total_row(sheet, row, &targets) {
            totals.push(t);
            continue;
        }
        match person(
            sheet,
            row,
            &targets,
            &currencies,
            company_list,
            order,
            japanese,
            opts,
        ) {
            Ok(Some(p)) => people.push(p),
            Ok(None) => {}
            Err(e) => bad.push(e),
        }
    }
    (people, bad, totals)
}

/// A row whose first non-empty cell is a total word (`合计`, `Summe`, `Total`) and that has no
/// email or phone.
fn total_row(sheet: &Sheet, row: &Row, targets: &[Option<Target>]) -> Option<RowError> {
    let (c, first) = row.cells.iter().enumerate().find(|(_, x)| !x.is_empty())?;
    if !is_total_word(&first.text())
        || row.cells.iter().enumerate().any(|(i, x)| {
            !x.is_empty() && matches!(targets.get(i), Some(Some(T::Email | T::Phone)))
        })
    {
        return None;
    }
    Some(RowError {
        line: row.line,
        column: sheet
            .headers
            .get(c)
            .cloned()
            .unwrap_or_else(|| format!("Column {}", crate::sheet::column_letter(c))),
        reason: format!("a total row (`{}`), not a customer: left out", first.text()),
    })
}

#[allow(clippy::too_many_arguments)]
fn person(
    sheet: &Sheet,
    row: &Row,
    targets: &[Option<Target>],
    currencies: &[(Currency, i64)],
    company_list: bool,
    order: DateOrder,
    japanese: bool,
    opts: &PeopleOptions,
) -> Result<Option<Person>, RowError> {
    let line = row.line;
    let header = |c: usize| {
        sheet
            .headers
            .get(c)
            .cloned()
            .unwrap_or_else(|| format!("Column {}", crate::sheet::column_letter(c)))
    };
    let mut p = Person {
        line,
        ..Person::default()
    };
    let warn = |p: &mut Person, c: usize, reason: String| {
        p.warnings.push(RowError {
            line,
            column: header(c),
            reason,
        })
    };
    let (mut customer, mut company, mut contact) = (String::new(), String::new(), String::new());
    let (mut first, mut last) = (String::new(), String::new());
    let mut addr = AddressParts::default();
    let mut notes: Vec<String> = Vec::new();
    let mut any = false;
    // A `kind` column decides, for its row, whether the customer is a company.
    let mut company_list = company_list;
    let mut row_kind = None;
    for (c, cell) in row.cells.iter().enumerate() {
        if targets.get(c).cloned().flatten() == Some(T::Kind) {
            row_kind = match rapport_model::CustomerKind::parse(&cell.text()) {
                Ok(k) => Some(k),
                Err(_) => match cell.text().trim() {
                    "公司" | "企业" | "Firma" | "société" | "empresa" => {
                        Some(rapport_model::CustomerKind::Company)
                    }
                    "个人" | "個人" | "Person" | "personne" | "persona" => {
                        Some(rapport_model::CustomerKind::Person)
                    }
                    _ => None,
                },
            };
            if let Some(k) = row_kind {
                company_list = k == rapport_model::CustomerKind::Company;
            }
        }
    }
    for (c, cell) in row.cells.iter().enumerate() {
        if cell.is_empty() {
            continue;
        }
        let target = targets.get(c).cloned().flatten();
        if target == Some(T::Kind) {
            continue;
        }
        if target == Some(T::Ignore) {
            continue;
        }
        any = true;
        if let Cell::Error(e) = cell {
            warn(
                &mut p,
                c,
                format!("the formula's result is an error ({e}): left out"),
            );
            continue;
        }
        let text = cell.text();
        let other = |p: &mut Person| p.other.push((header(c), text.clone()));
        let single = |slot: &mut String, p: &mut Person| {
            if slot.is_empty() {
                *slot = one_line(&text);
            } else {
                p.other.push((header(c), text.clone()));
            }
        };
        match target {
            None | Some(T::Other) | Some(T::Ignore) => other(&mut p),
            Some(T::Kind) => {}
            Some(T::Customer) => single(&mut customer, &mut p),
            Some(T::Company) => single(&mut company, &mut p),
            Some(T::Contact) => single(&mut contact, &mut p),
            Some(T::FirstName) => single(&mut first, &mut p),
            Some(T::LastName) => single(&mut last, &mut p),
            Some(T::Title) => {
                if p.title.is_empty() {
                    p.title = one_line(&text)
                } else {
                    other(&mut p)
                }
            }
            Some(T::Industry) => {
                if p.industry.is_empty() {
                    p.industry = one_line(&text)
                } else {
                    other(&mut p)
                }
            }
            Some(T::Owner) => {
                if p.owner.is_empty() {
                    p.owner = one_line(&text)
                } else {
                    other(&mut p)
                }
            }
            Some(T::Source) => {
                if p.source.is_empty() {
                    p.source = one_line(&text)
                } else {
                    other(&mut p)
                }
            }
            Some(T::Phone) => {
                for ph in split_list(&text, &[';', '；', ',', '，', '、', '\n', '\r']) {
                    match check_phone("phone", &ph) {
                        Ok(()) => push_unique(&mut p.phones, ph),
                        Err(_) => {
                            warn(
                                &mut p,
                                c,
                                format!(
                                    "`{}` is not a phone number: kept in the notes",
                                    excerpt(&ph)
                                ),
                            );
                            p.other.push((header(c), ph));
                        }
                    }
                }
            }
            Some(T::Email) => {
                for e in split_list(&text, &[';', '；', ',', '，', '、', ' ', '\n', '\r', '/']) {
                    match check_email("email", &e) {
                        Ok(()) => push_unique(&mut p.emails, e),
                        Err(_) => {
                            warn(
                                &mut p,
                                c,
                                format!(
                                    "`{}` is not an email address: kept in the notes",
                                    excerpt(&e)
                                ),
                            );
                            p.other.push((header(c), e));
                        }
                    }
                }
            }
            Some(T::Address) => addr.full.push(text.trim().to_string()),
            Some(T::Street) => single(&mut addr.street, &mut p),
            Some(T::Postcode) => single(&mut addr.postcode, &mut p),
            Some(T::City) => single(&mut addr.city, &mut p),
            Some(T::District) => single(&mut addr.district, &mut p),
            Some(T::Region) => single(&mut addr.region, &mut p),
            Some(T::Country) => single(&mut addr.country, &mut p),
            Some(T::Website) => push_unique(&mut p.websites, one_line(&text)),
            Some(T::Tags) => {
                for t in split_list(&text, &[',', '，', ';', '；', '、']) {
                    push_unique(&mut p.labels, one_line(&t));
                }
            }
            Some(T::Notes) => notes.push(text.clone()),
            Some(t @ (T::Birthday | T::LastContact | T::NextVisit | T::SalesDate)) => {
                let parsed = date_of_cell(cell, order).and_then(|d| match d {
                    ParsedDate::Full(d) => Ok(d),
                    ParsedDate::NoYear { month, day } => opts
                        .file_date
                        .and_then(|f| place_year(month, day, f, t == T::NextVisit))
                        .ok_or_else(|| format!("`{}` has no year", excerpt(&text))),
                });
                let slot = match t {
                    T::Birthday => &mut p.birthday,
                    T::LastContact => &mut p.last_contact,
                    T::NextVisit => &mut p.next_followup,
                    _ => &mut p.sales_date,
                };
                match parsed {
                    Ok(d) if slot.is_none() => *slot = Some(d),
                    Ok(d) if t == T::LastContact && slot.is_some_and(|s| d > s) => *slot = Some(d),
                    Ok(_) => other(&mut p),
                    Err(reason) => {
                        warn(&mut p, c, format!("{reason}: kept in the notes"));
                        other(&mut p);
                    }
                }
            }
            Some(T::Sales) => {
                let (cur, mult) = currencies
                    .get(c)
                    .copied()
                    .unwrap_or((opts.default_currency, 1));
                let parsed = match cell {
                    Cell::Number(n) => amount_of_number(*n, cur, mult),
                    _ => parse_amount(&text, cur, japanese).and_then(|m| {
                        m.minor
                            .checked_mul(mult)
                            .filter(|v| *v <= Money::MAX_MINOR)
                            .map(|minor| Money { minor, ..m })
                            .ok_or_else(|| format!("`{}` is too large", excerpt(&text)))
                    }),
                };
                match parsed {
                    Ok(m) if p.sales.is_none() => p.sales = Some(m),
                    Ok(_) => other(&mut p),
                    Err(reason) => {
                        warn(&mut p, c, format!("{reason}: kept in the notes"));
                        other(&mut p);
                    }
                }
            }
            Some(T::Custom(name)) => p.fields.push((name, one_line(&text))),
        }
    }
    if !any {
        return Ok(None);
    }
    let mut person_name = if contact.is_empty() {
        join_name(&first, &last)
    } else {
        contact
    };
    // A person customer's company is where they work, not a customer of its own.
    if row_kind == Some(rapport_model::CustomerKind::Person) && !customer.is_empty() {
        p.employer = std::mem::take(&mut company);
    }
    if !company.is_empty() {
        p.organization = company;
        if !customer.is_empty() {
            if person_name.is_empty() {
                person_name = customer;
            } else {
                p.other.push(("customer".into(), customer));
            }
        }
    } else if !customer.is_empty() {
        if company_list {
            p.organization = customer;
        } else if person_name.is_empty() {
            person_name = customer;
        } else {
            p.organization = customer;
        }
    }
    p.name = person_name;
    p.address = addr.join();
    p.notes = notes.join("\n");
    if p.name.is_empty() && p.organization.is_empty() {
        match (p.emails.first(), p.phones.first()) {
            (Some(e), _) => p.name = e.clone(),
            (None, Some(ph)) => p.name = ph.clone(),
            (None, None) => {
                let column = targets
                    .iter()
                    .position(|t| matches!(t, Some(T::Customer | T::Company | T::Contact)))
                    .map(&header)
                    .unwrap_or_default();
                return Err(RowError {
                    line,
                    column,
                    reason: "nothing identifies the customer (no name, company, email or phone)"
                        .into(),
                });
            }
        }
    }
    for (col, v) in [("notes", &p.notes), ("address", &p.address)] {
        if let Err(e) = rapport_model::check_text(col, v) {
            return Err(RowError {
                line,
                column: col.into(),
                reason: e.to_string(),
            });
        }
    }
    Ok(Some(p))
}

/// "given family" for Latin names, "familygiven" for CJK ones.
fn join_name(first: &str, last: &str) -> String {
    if !first.is_empty()
        && !last.is_empty()
        && first.chars().all(is_cjk)
        && last.chars().all(is_cjk)
    {
        return format!("{last}{first}");
    }
    [first, last]
        .iter()
        .filter(|s| !s.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }
    fn cur(c: &str) -> Currency {
        Currency::parse(c, "t").unwrap()
    }
    fn money(minor: i64, c: &str) -> Money {
        Money {
            minor,
            currency: cur(c),
        }
    }

    #[test]
    fn headers_in_six_languages_and_both_scripts() {
        for (h, t) in [
            ("客户名称", T::Customer),
            ("客戶名稱", T::Customer),
            ("公司名称", T::Company),
            ("单位", T::Company),
            ("Firma", T::Company),
            ("Société", T::Company),
            ("Empresa", T::Company),
            ("会社名", T::Company),
            ("联系人", T::Contact),
            ("聯絡人", T::Contact),
            ("Ansprechpartner", T::Contact),
            ("Contacto", T::Contact),
            ("担当者", T::Contact),
            ("手机", T::Phone),
            ("電話", T::Phone),
            ("联系电话", T::Phone),
            ("Telefon", T::Phone),
            ("Mobil", T::Phone),
            ("Téléphone", T::Phone),
            ("Telephone", T::Phone),
            ("Teléfono", T::Phone),
            ("電話番号", T::Phone),
            ("邮箱", T::Email),
            ("E-Mail", T::Email),
            ("Courriel", T::Email),
            ("Correo", T::Email),
            ("メール", T::Email),
            ("地址", T::Address),
            ("Straße", T::Street),
            ("Strasse", T::Street),
            ("PLZ", T::Postcode),
            ("Ort", T::City),
            ("Code postal", T::Postcode),
            ("Ville", T::City),
            ("Dirección", T::Address),
            ("住所", T::Address),
            ("行业", T::Industry),
            ("Branche", T::Industry),
            ("Secteur", T::Industry),
            ("Sector", T::Industry),
            ("業種", T::Industry),
            ("负责人", T::Owner),
            ("业务员", T::Owner),
            ("销售", T::Owner),
            ("Vertriebsmitarbeiter", T::Owner),
            ("Commercial", T::Owner),
            ("Vendedor", T::Owner),
            ("担当営業", T::Owner),
            ("来源", T::Source),
            ("Quelle", T::Source),
            ("Origen", T::Source),
            ("标签", T::Tags),
            ("Kategorien", T::Tags),
            ("Étiquettes", T::Tags),
            ("Etiquetas", T::Tags),
            ("タグ", T::Tags),
            ("备注", T::Notes),
            ("備註", T::Notes),
            ("Bemerkung", T::Notes),
            ("Remarques", T::Notes),
            ("Notas", T::Notes),
            ("備考", T::Notes),
            ("最近拜访", T::LastContact),
            ("Letzter Besuch", T::LastContact),
            ("Dernière visite", T::LastContact),
            ("Última visita", T::LastContact),
            ("最終訪問日", T::LastContact),
            ("下次回访", T::NextVisit),
            ("Nächster Besuch", T::NextVisit),
            ("Prochaine visite", T::NextVisit),
            ("Próxima visita", T::NextVisit),
            ("次回訪問日", T::NextVisit),
            ("销售额", T::Sales),
            ("Umsatz", T::Sales),
            ("Chiffre d'affaires", T::Sales),
            ("Ventas", T::Sales),
            ("売上", T::Sales),
            // Folding: width, case, punctuation, a trailing number, brackets, compounds.
            ("ＥＭＡＩＬ", T::Email),
            ("*手机：", T::Phone),
            ("电话 2", T::Phone),
            ("E-mail 1", T::Email),
            ("销售额（元）", T::Sales),
            ("联系人手机", T::Phone),
            ("客户地址", T::Address),
        ] {
            assert_eq!(builtin_target(h), Some(t.clone()), "{h}");
        }
        assert_eq!(builtin_target("机型"), None);
        assert_eq!(builtin_target("1"), None);
        assert_eq!(builtin_target(""), None);
        assert_eq!(header_key("  Ｅ－Ｍａｉｌ： "), "email");
    }

    #[test]
    fn suggest_places_custom_fields_first_and_says_what_it_could_not_place() {
        let headers: Vec<String> = ["客户名称", "机型", "微信", "行业", "Kundennr."]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let m = suggest(&headers, &["Machine model".into(), "行业".into()]);
        assert_eq!(m.target(0), Some(&T::Customer));
        assert_eq!(m.target(1), None);
        // A custom field of that name wins over the built-in industry.
        assert_eq!(m.target(3), Some(&T::Custom("行业".into())));
        assert_eq!(
            m.unplaced()
                .iter()
                .map(|c| c.header.as_str())
                .collect::<Vec<_>>(),
            vec!["机型", "微信", "Kundennr."]
        );
        // Name parts.
        let es: Vec<String> = ["Nombre", "Apellidos"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let m = suggest(&es, &[]);
        assert_eq!(
            (m.target(0), m.target(1)),
            (Some(&T::FirstName), Some(&T::LastName))
        );
        let fr: Vec<String> = ["Prénom", "Nom"].iter().map(|s| s.to_string()).collect();
        let m = suggest(&fr, &[]);
        assert_eq!(
            (m.target(0), m.target(1)),
            (Some(&T::FirstName), Some(&T::LastName))
        );
    }

    #[test]
    fn pairs_json_and_signature() {
        let headers: Vec<String> = ["客户名称", "机型", "Kundennr."]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut m = suggest(&headers, &[]);
        m.apply_pairs(&["Kundennr.=ignore", "机型=custom:Machine model"])
            .unwrap();
        assert_eq!(
            m.to_pairs(),
            vec![
                "客户名称=customer",
                "机型=custom:Machine model",
                "Kundennr.=ignore"
            ]
        );
        let again = Mapping::from_pairs(&headers, &m.to_pairs()).unwrap();
        assert_eq!(again, m);
        let json = serde_json::to_string(&m).unwrap();
        assert!(
            json.contains("\"target\":\"custom:Machine model\""),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Mapping>(&json).unwrap(), m);
        // By column letter.
        m.set("b", T::Notes).unwrap();
        assert_eq!(m.target(1), Some(&T::Notes));
        assert_eq!(
            parse_pair("x=phonebook"),
            Err(MappingError::UnknownField("phonebook".into()))
        );
        assert_eq!(parse_pair("x"), Err(MappingError::BadPair("x".into())));
        assert!(matches!(
            m.set("Fax", T::Phone),
            Err(MappingError::NoSuchColumn { .. })
        ));
        for (w, _) in FIELDS {
            let w = w.replace("NAME", "x");
            assert_eq!(w.parse::<Target>().unwrap().to_string(), w);
        }
        // The signature folds width, case and punctuation, and keeps the order.
        let a = header_signature(&["客户名称".into(), "电话".into()]);
        assert_eq!(a, header_signature(&["客户名称：".into(), " 电话".into()]));
        assert_ne!(a, header_signature(&["电话".into(), "客户名称".into()]));
        assert_eq!(a.len(), 32);
        assert!(m.fits(&headers));
    }

    #[test]
    fn header_languages() {
        let l = |h: &[&str]| headers_language(&h.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(l(&["Name", "Email", "Last visit"]), Some(En));
        assert_eq!(l(&["Nom", "Courriel", "Tél"]), Some(Fr));
        assert_eq!(l(&["Firma", "Name", "E-Mail"]), Some(De));
        assert_eq!(l(&["客户名称", "手机"]), Some(Zh));
        assert_eq!(l(&["会社名", "電話番号"]), Some(Ja));
        assert_eq!(l(&["Firma", "Last visit"]), None);
        assert_eq!(l(&["Email", "Tags"]), None);
    }

    #[test]
    fn excel_serials() {
        assert_eq!(excel_serial_date(1, false), Some(d(1900, 1, 1)));
        assert_eq!(excel_serial_date(59, false), Some(d(1900, 2, 28)));
        assert_eq!(excel_serial_date(60, false), None, "1900-02-29 never was");
        assert_eq!(excel_serial_date(61, false), Some(d(1900, 3, 1)));
        assert_eq!(excel_serial_date(46359, false), Some(d(2026, 12, 3)));
        assert_eq!(excel_serial_date(0, false), None);
        assert_eq!(excel_serial_date(0, true), Some(d(1904, 1, 1)));
        assert_eq!(excel_serial_date(44897, true), Some(d(2026, 12, 3)));
    }

    #[test]
    fn dates() {
        let full = |s: &str, o| {
            parse_date(s, o).map(|p| match p {
                ParsedDate::Full(d) => d,
                ParsedDate::NoYear { .. } => panic!("{s}"),
            })
        };
        let want = d(2026, 12, 3);
        for s in [
            "2026-12-03",
            "2026/12/3",
            "2026.12.03",
            "20261203",
            "3.12.2026",
            "03.12.2026",
            "2026年12月3日",
            "2026 年 12 月 3 日",
            "2026-12-03 10:30",
            "2026-12-03T10:30:00",
            "3 Dec 2026",
            "December 3, 2026",
            "3. Dezember 2026",
            "3 décembre 2026",
            "3 de diciembre de 2026",
        ] {
            assert_eq!(full(s, DateOrder::Mdy), Ok(want), "{s}");
        }
        assert_eq!(full("12/3/2026", DateOrder::Mdy), Ok(want));
        assert_eq!(full("03/12/2026", DateOrder::Dmy), Ok(want));
        assert_eq!(full("03/12/2026", DateOrder::Mdy), Ok(d(2026, 3, 12)));
        // A number above 12 decides whatever the order.
        assert_eq!(full("25/12/2026", DateOrder::Mdy), Ok(d(2026, 12, 25)));
        assert_eq!(full("12/25/2026", DateOrder::Dmy), Ok(d(2026, 12, 25)));
        assert_eq!(
            parse_date("12月3日", DateOrder::Mdy),
            Ok(ParsedDate::NoYear { month: 12, day: 3 })
        );
        assert_eq!(
            parse_date("3.12.", DateOrder::Mdy),
            Ok(ParsedDate::NoYear { month: 12, day: 3 })
        );
        for bad in [
            "next week",
            "2026-02-30",
            "13/13/2026",
            "2026年13月1日",
            "46359",
        ] {
            assert!(parse_date(bad, DateOrder::Dmy).is_err(), "{bad}");
        }
        assert_eq!(
            date_of_cell(&Cell::Number(46359.0), DateOrder::Mdy),
            Ok(ParsedDate::Full(want))
        );
        assert_eq!(
            date_of_cell(&Cell::Number(20261203.0), DateOrder::Mdy),
            Ok(ParsedDate::Full(want))
        );
        assert!(date_of_cell(&Cell::Bool(true), DateOrder::Mdy).is_err());
        assert_eq!(
            place_year(12, 3, d(2027, 1, 10), false),
            Some(d(2026, 12, 3))
        );
        assert_eq!(place_year(1, 5, d(2026, 12, 1), true), Some(d(2027, 1, 5)));
        assert_eq!(
            place_year(11, 5, d(2026, 12, 1), false),
            Some(d(2026, 11, 5))
        );
    }

    #[test]
    fn amounts() {
        let cny = cur("CNY");
        let eur = cur("EUR");
        for (text, default, want) in [
            ("1.234,56", eur, money(123_456, "EUR")),
            ("1,234.56", cny, money(123_456, "CNY")),
            ("¥1,234", eur, money(123_400, "CNY")),
            ("￥1,234", cny, money(123_400, "CNY")),
            ("125.000,00 €", cny, money(12_500_000, "EUR")),
            ("$1,200", cny, money(120_000, "USD")),
            ("1\u{a0}234,56", eur, money(123_456, "EUR")),
            ("1 234,56 €", cny, money(123_456, "EUR")),
            ("1234", cny, money(123_400, "CNY")),
            ("1.234", eur, money(123_400, "EUR")),
            ("1,5", eur, money(150, "EUR")),
            ("0.5", cny, money(50, "CNY")),
            ("CHF 1'234.50", eur, money(123_450, "CHF")),
            ("EUR 99", cny, money(9_900, "EUR")),
            ("1.234.567", eur, money(123_456_700, "EUR")),
            ("500元", eur, money(50_000, "CNY")),
            ("¥5,000", cur("JPY"), money(5_000, "JPY")),
            ("5,000円", cny, money(5_000, "JPY")),
            ("USD 12.5", cny, money(1_250, "USD")),
        ] {
            assert_eq!(parse_amount(text, default, false), Ok(want), "{text}");
        }
        assert_eq!(parse_amount("¥5,000", cny, true), Ok(money(5_000, "JPY")));
        for bad in ["abc", "-5", "(100)", "1,2,3.4.5", "12 pcs", "", "1.2.3,4,5"] {
            assert!(parse_amount(bad, cny, false).is_err(), "{bad}");
        }
        assert_eq!(parse_amount("1.005", cny, false), Ok(money(100_500, "CNY"))); // thousands
        assert_eq!(
            parse_amount("0.125", cny, false).map(|m| m.minor).ok(),
            None
        );
        assert_eq!(amount_of_number(1234.56, cny, 1), Ok(money(123_456, "CNY")));
        assert_eq!(
            amount_of_number(12.5, cny, 10_000),
            Ok(money(12_500_000, "CNY"))
        );
        assert!(amount_of_number(-1.0, cny, 1).is_err());
        assert_eq!(header_currency("销售额（元）"), Some((cny, 1)));
        assert_eq!(header_currency("金额(万元)"), Some((cny, 10_000)));
        assert_eq!(header_currency("Umsatz (€)"), Some((eur, 1)));
        assert_eq!(header_currency("Sales (USD)"), Some((cur("USD"), 1)));
        assert_eq!(header_currency("売上（円）"), Some((cur("JPY"), 1)));
        assert_eq!(header_currency("销售额"), None);
    }

    #[test]
    fn companies_addresses_and_totals() {
        for c in [
            "华东贸易有限公司",
            "Müller GmbH",
            "Dupont SARL",
            "Ibérica S.L.",
            "株式会社山田製作所",
            "Acme Ltd.",
            "ACME, Inc.",
        ] {
            assert!(looks_like_company(c), "{c}");
        }
        for p in ["张伟", "Hans Müller", "Sarah Lee", "Ana García"] {
            assert!(!looks_like_company(p), "{p}");
        }
        let a = AddressParts {
            street: "Hauptstraße 5".into(),
            postcode: "10115".into(),
            city: "Berlin".into(),
            country: "Deutschland".into(),
            ..Default::default()
        };
        assert_eq!(a.join(), "Hauptstraße 5, 10115 Berlin, Deutschland");
        let a = AddressParts {
            region: "广东省".into(),
            city: "深圳市".into(),
            district: "南山区".into(),
            street: "科技园路1号".into(),
            postcode: "518057".into(),
            ..Default::default()
        };
        assert_eq!(a.join(), "广东省深圳市南山区科技园路1号 518057");
        let a = AddressParts {
            full: vec!["广东省深圳市南山区科技园路1号".into()],
            city: "深圳市".into(),
            ..Default::default()
        };
        assert_eq!(a.join(), "广东省深圳市南山区科技园路1号");
        for t in ["合计", "合计：", "Summe", "TOTAL", "Total général", "總計"] {
            assert!(is_total_word(t), "{t}");
        }
        assert!(!is_total_word("Total S.A."));
        assert_eq!(join_name("伟", "张"), "张伟");
        assert_eq!(join_name("Hans", "Müller"), "Hans Müller");
        assert_eq!(one_line("a\nb\r\n c"), "a b c");
    }
}
