#!/usr/bin/env python3
"""Writes the hand-made files of this corpus, byte for byte as the programs named in
README.md write them (encoding, line ends, quoting, quoted-printable line breaks).

Run once from this directory (`python3 generate.py`); the bytes are committed, so the tests
never depend on this script. The files taken from other projects (`ezvcard-*`) are not made
here. People and addresses are invented; domains are `.example`.
"""

CRLF = "\r\n"


def write(name, data):
    with open(name, "wb") as f:
        f.write(data)


def lines(*ls, end=CRLF):
    return end.join(ls) + end


# --- quoted-printable as the programs write it ------------------------------------------

def android_qp(text, charset="utf-8"):
    """AOSP VCardBuilder.encodeQuotedPrintable: every byte as =XX, and a soft line break
    `=\\r\\n` after every 22 bytes (its line counter reaches 67), wherever that falls, also
    in the middle of a multi-byte character."""
    out, count = [], 0
    for b in text.replace("\n", "\r\n").encode(charset):
        out.append("=%02X" % b)
        count += 3
        if count >= 67:
            out.append("=\r\n")
            count = 0
    return "".join(out)


def rfc_qp(data, first_line_len):
    """RFC 2045 quoted-printable of bytes: printable ASCII stays (so a Shift_JIS trail byte
    such as 0x5C `\\` stays literal), other bytes and `=` become =XX; a soft line break
    keeps lines at most 76 characters, counting the property name on the first line."""
    out, length = [], first_line_len
    for b in data:
        piece = chr(b) if 0x21 <= b <= 0x7E and b != 0x3D else "=%02X" % b
        if length + len(piece) > 75:
            out.append("=\r\n")
            length = 0
        out.append(piece)
        length += len(piece)
    return "".join(out)


# --- vCards -----------------------------------------------------------------------------

def rfc6350_example():
    # RFC 6350, section 8 (the example vCard), with CRLF line ends as the RFC requires.
    return lines(
        "BEGIN:VCARD",
        "VERSION:4.0",
        "FN:Simon Perreault",
        "N:Perreault;Simon;;;ing. jr,M.Sc.",
        "BDAY:--0203",
        "ANNIVERSARY:20090808T1430-0500",
        "GENDER:M",
        "LANG;PREF=1:fr",
        "LANG;PREF=2:en",
        "ORG;TYPE=work:Viagenie",
        "ADR;TYPE=work:;Suite D2-630;2875 Laurier;",
        " Quebec;QC;G1V 2M2;Canada",
        'TEL;VALUE=uri;TYPE="work,voice";PREF=1:tel:+1-418-656-9254;ext=102',
        'TEL;VALUE=uri;TYPE="work,cell,voice,video,text":tel:+1-418-262-6501',
        "EMAIL;TYPE=work:simon.perreault@viagenie.ca",
        "GEO;TYPE=work:geo:46.772673,-71.282945",
        "KEY;TYPE=work;VALUE=uri:",
        " http://www.viagenie.ca/simon.perreault/simon.asc",
        "TZ:-0500",
        "URL;TYPE=home:http://nomis80.org",
        "END:VCARD",
    ).encode("ascii")


def ios_contacts():
    # iOS Contacts "Share Contact" / iCloud export: vCard 3.0, CRLF, lower-case `type=`,
    # itemN groups with X-ABLabel, Apple's _$!<...>!$_ built-in labels, X-ABShowAs:COMPANY.
    return lines(
        "BEGIN:VCARD",
        "VERSION:3.0",
        "PRODID:-//Apple Inc.//iPhone OS 17.5.1//EN",
        "N:Lin;Mei;;;",
        "FN:Mei Lin",
        "ORG:Harbour Logistics Ltd.;Procurement",
        "TITLE:Purchasing Manager",
        "item1.EMAIL;type=INTERNET;type=pref:mei.lin@harbour.example",
        "item1.X-ABLabel:_$!<Other>!$_",
        "EMAIL;type=INTERNET;type=HOME:meimei@mail.example",
        "TEL;type=CELL;type=VOICE;type=pref:+852 9123 4567",
        "item2.TEL:+852 2345 6789",
        "item2.X-ABLabel:_$!<Assistant>!$_",
        "TEL;type=WORK;type=VOICE:+852 2345 6700 x218",
        "item3.ADR;type=WORK;type=pref:;;8 Harbour Road;Wan Chai;;;Hong Kong",
        "item3.X-ABADR:hk",
        "item4.URL;type=pref:https://harbour.example",
        "item4.X-ABLabel:_$!<HomePage>!$_",
        "BDAY:1988-09-14",
        "item5.X-ABDATE;type=pref:2015-05-20",
        "item5.X-ABLabel:_$!<Anniversary>!$_",
        "item6.X-ABRELATEDNAMES;type=pref:Daniel Lin",
        "item6.X-ABLabel:_$!<Spouse>!$_",
        "X-SOCIALPROFILE;type=linkedin;x-user=meilin:http://www.linkedin.com/in/meilin",
        "NOTE:Prefers WhatsApp\\, not calls.\\nMet at the Canton Fair.",
        "CATEGORIES:Suppliers",
        "END:VCARD",
        "BEGIN:VCARD",
        "VERSION:3.0",
        "PRODID:-//Apple Inc.//iPhone OS 17.5.1//EN",
        "N:;;;;",
        "FN:Pacific Tea Co.",
        "ORG:Pacific Tea Co.;",
        "X-ABShowAs:COMPANY",
        "TEL;type=WORK;type=VOICE;type=pref:+852 2111 2222",
        "EMAIL;type=INTERNET;type=WORK;type=pref:orders@pacifictea.example",
        "END:VCARD",
        "BEGIN:VCARD",
        "VERSION:3.0",
        "PRODID:-//Apple Inc.//iPhone OS 17.5.1//EN",
        "N:王;小明;;;",
        "FN:王小明",
        "X-PHONETIC-FIRST-NAME:Xiaoming",
        "X-PHONETIC-LAST-NAME:Wang",
        "TEL;type=CELL;type=VOICE;type=pref:+86 139 1234 5678",
        "item1.TEL:+86 21 6123 4567",
        "item1.X-ABLabel:秘书",
        "END:VCARD",
    ).encode("utf-8")


def android_v21():
    # Android Contacts "Export to .vcf" for vCard 2.1 (AOSP VCardComposer, default type
    # v21_generic): CRLF, non-ASCII values as CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE with
    # every byte encoded and soft line breaks that cut characters in two.
    qp = "CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE"

    def n(family, given):
        return f"N;{qp}:{android_qp(family)};{android_qp(given)};;;"

    return lines(
        "BEGIN:VCARD",
        "VERSION:2.1",
        n("张", "伟"),
        f"FN;{qp}:{android_qp('张伟')}",
        "X-ANDROID-CUSTOM:vnd.android.cursor.item/nickname;Wei;1;;;;;;;;;;;;;",
        "TEL;CELL:+86 138 0013 8000",
        "TEL;WORK:028-8512 3456",
        "EMAIL;WORK:zhang.wei@huachuang.example",
        f"ORG;{qp}:{android_qp('华创商务有限公司')}",
        f"TITLE;{qp}:{android_qp('采购经理')}",
        f"NOTE;{qp}:{android_qp('成都展会上认识。喜欢用微信联系，不要打电话。下个月再跟进报价。')}",
        "BDAY:1985-03-12",
        "END:VCARD",
        "BEGIN:VCARD",
        "VERSION:2.1",
        n("García Pérez", "José"),
        f"FN;{qp}:{android_qp('José García Pérez')}",
        "TEL;CELL:+34 600 123 456",
        "TEL;HOME:+34 91 555 0142",
        "EMAIL;HOME:pepe.garcia@correo.example",
        f"ADR;HOME;{qp}:;;{android_qp('Calle de Alcalá 42')};{android_qp('Madrid')};;28014;{android_qp('España')}",
        "URL:https://garcia.example",
        "END:VCARD",
    ).encode("ascii")


def android_email_text():
    # Android 2.1 export of contacts typed by hand on a phone: text in an EMAIL field (the
    # phone's contact editor takes any text), a TEL that says "pager", a contact that is
    # only a number.
    qp = "CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE"
    return lines(
        "BEGIN:VCARD",
        "VERSION:2.1",
        "N:Novak;Petra;;;",
        "FN:Petra Novak",
        "TEL;CELL:+385 91 234 5678",
        "EMAIL;HOME:call after 6pm",
        "EMAIL;WORK:petra.novak@brod.example",
        "END:VCARD",
        "BEGIN:VCARD",
        "VERSION:2.1",
        f"N;{qp}:{android_qp('Šimić')};{android_qp('Ivan')};;;",
        f"FN;{qp}:{android_qp('Ivan Šimić')}",
        "TEL;PAGER:pager",
        "TEL;WORK:+385 1 4567 890",
        f"EMAIL;WORK;{qp}:{android_qp('ured u prizemlju, pitati Željka')}",
        "END:VCARD",
        "BEGIN:VCARD",
        "VERSION:2.1",
        "TEL;CELL:+385 98 765 4321",
        "END:VCARD",
    ).encode("ascii")


def shift_jis_phone():
    # A Japanese feature phone's vCard 2.1 (docomo/au style): Shift_JIS bytes, each
    # property tagged CHARSET=SHIFT_JIS, phonetic names in SOUND;X-IRMC-N (half-width kana),
    # long values in quoted-printable with trail bytes such as 0x5C left literal, CRLF.
    # The second card's NOTE is folded in the middle of a two-byte character, as
    # byte-counting folders do.
    sj = "CHARSET=SHIFT_JIS"

    def enc(s):
        return s.encode("cp932")  # what Japanese phones and Windows call Shift_JIS

    out = b""
    out += lines("BEGIN:VCARD", "VERSION:2.1").encode()
    out += f"N;{sj}:".encode() + enc("山田;太郎;;;") + b"\r\n"
    out += f"SOUND;X-IRMC-N;{sj}:".encode() + enc("ﾔﾏﾀﾞ;ﾀﾛｳ;;;") + b"\r\n"
    out += b"TEL;CELL;VOICE:090-1234-5678\r\n"
    out += b"TEL;HOME;VOICE:03-3123-4567\r\n"
    out += b"EMAIL;INTERNET:taro.yamada@docomo.example\r\n"
    # ソ (83 5C) and 表 (95 5C) carry a backslash byte.
    out += f"ORG;{sj}:".encode() + enc("ソフト表示株式会社;営業部") + b"\r\n"
    adr_head = f"ADR;HOME;{sj};ENCODING=QUOTED-PRINTABLE:"
    out += adr_head.encode() + rfc_qp(enc(";;東京都港区芝公園４－２－８;;;105-0011;日本"), len(adr_head)).encode() + b"\r\n"
    note_head = f"NOTE;{sj};ENCODING=QUOTED-PRINTABLE:"
    out += note_head.encode() + rfc_qp(enc("ソニー製品の担当。表計算の資料を毎月送付。能登の出身。"), len(note_head)).encode() + b"\r\n"
    out += lines("END:VCARD").encode()
    out += lines("BEGIN:VCARD", "VERSION:2.1").encode()
    out += f"N;{sj}:".encode() + enc("佐藤;花子;;;") + b"\r\n"
    out += f"SOUND;X-IRMC-N;{sj}:".encode() + enc("ｻﾄｳ;ﾊﾅｺ;;;") + b"\r\n"
    out += b"TEL;CELL;VOICE:080-9876-5432\r\n"
    out += b"EMAIL;INTERNET:hanako@ezweb.example\r\n"
    head = f"NOTE;{sj}:".encode()
    body = enc("大阪支店の窓口。電話は午前中が良い。")  # two bytes a character
    cut = len(head) + 2 * 5 + 1  # after the lead byte of the sixth character
    note = head + body
    assert 0x81 <= note[cut - 1] <= 0xFC
    out += note[:cut] + b"\r\n " + note[cut:] + b"\r\n"
    out += lines("END:VCARD").encode()
    return out


def big5_phone():
    # A Taiwanese phone's vCard 2.1 written in Big5 without CHARSET parameters (the phone
    # assumes its own code page), CRLF.
    return lines(
        "BEGIN:VCARD",
        "VERSION:2.1",
        "N:陳;美玲;;;",
        "FN:陳美玲",
        "ORG:台北貿易股份有限公司;業務部",
        "TITLE:業務經理",
        "TEL;CELL:0912-345-678",
        "TEL;WORK:02-2345-6789",
        "EMAIL;INTERNET:meiling.chen@taipei-trade.example",
        "ADR;WORK:;;信義路五段7號;台北市;;110;台灣",
        "NOTE:每月初寄送報價單，喜歡用電子郵件聯絡。",
        "END:VCARD",
        "BEGIN:VCARD",
        "VERSION:2.1",
        "N:林;志明;;;",
        "FN:林志明",
        "ORG:高雄精密工業有限公司",
        "TEL;CELL:0933-222-111",
        "EMAIL;INTERNET:zhiming.lin@kaohsiung-precision.example",
        "NOTE:工廠在高雄，週三下午比較方便開會。",
        "END:VCARD",
    ).encode("big5")


def outlook_v21():
    # Outlook 2016/2019 "Save as vCard" (vCard 2.1): LANGUAGE on N, 8-bit values tagged
    # CHARSET=Windows-1252, LABEL in quoted-printable with soft line breaks, X-MS-* lines,
    # CRLF.
    w = "CHARSET=Windows-1252"
    out = b""
    out += lines("BEGIN:VCARD", "VERSION:2.1").encode()
    out += f"N;LANGUAGE=de;{w}:".encode() + "Müller;Jürgen;;Herr;".encode("cp1252") + b"\r\n"
    out += f"FN;{w}:".encode() + "Herr Jürgen Müller".encode("cp1252") + b"\r\n"
    out += f"ORG;{w}:".encode() + "Bäckerei Müller & Söhne GmbH".encode("cp1252") + b"\r\n"
    out += f"TITLE;{w}:".encode() + "Geschäftsführer".encode("cp1252") + b"\r\n"
    out += b"TEL;WORK;VOICE:+49 89 1234567-12\r\n"
    out += b"TEL;CELL;VOICE:+49 170 1234567\r\n"
    out += b"TEL;WORK;FAX:+49 89 1234567-99\r\n"
    out += f"ADR;WORK;PREF;{w}:".encode() + ";;Marienplatz 1;München;Bayern;80331;Deutschland".encode("cp1252") + b"\r\n"
    out += f"LABEL;WORK;PREF;{w};ENCODING=QUOTED-PRINTABLE:Marienplatz 1=0D=0A=\r\n80331 M=FCnchen  Bayern=0D=0A=\r\nDeutschland\r\n".encode()
    out += b"X-MS-OL-DEFAULT-POSTAL-ADDRESS:2\r\n"
    out += b"URL;WORK:http://www.baeckerei-mueller.example\r\n"
    out += b"EMAIL;PREF;INTERNET:juergen.mueller@baeckerei-mueller.example\r\n"
    out += b"X-MS-IMADDRESS:juergen@jabber.example\r\n"
    out += f"NOTE;{w}:".encode() + "Liefert jeden Dienstag Brötchen für das Café.".encode("cp1252") + b"\r\n"
    out += b"REV:20240424T104242Z\r\n"
    out += lines("END:VCARD").encode()
    return out


def owncloud():
    # ownCloud/Nextcloud address book export (sabre/vobject 4): vCard 3.0, CRLF, lines
    # folded at 75 octets on character boundaries, quoted multi-value TYPE parameters.
    return lines(
        "BEGIN:VCARD",
        "VERSION:3.0",
        "PRODID:-//Sabre//Sabre VObject 4.3.0//EN",
        "UID:1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b",
        "FN:Ingrid Bergström",
        "N:Bergström;Ingrid;;;",
        "ORG:Nordlicht Design AB",
        "TITLE:Creative Director",
        "EMAIL;TYPE=WORK:ingrid@nordlicht.example",
        "EMAIL;TYPE=HOME:ingrid.bergstrom@posten.example",
        'TEL;TYPE="WORK,VOICE":+46 8 123 456 78',
        "TEL;TYPE=CELL:+46 70 123 45 67",
        "ADR;TYPE=WORK:;;Götgatan 14;Stockholm;;118 46;Sverige",
        "URL:https://nordlicht.example",
        "CATEGORIES:Kunder,Design",
        "NOTE:Vill ha offerter i SEK. Ring helst på förmiddagen\\, inte efter lunch",
        "  på fredagar.",
        "REV;VALUE=DATE-AND-OR-TIME:20240312T091500Z",
        "END:VCARD",
        "BEGIN:VCARD",
        "VERSION:3.0",
        "PRODID:-//Sabre//Sabre VObject 4.3.0//EN",
        "UID:admin",
        "FN:admin",
        "N:admin;;;;",
        "CLOUD:admin@cloud.example/owncloud",
        "END:VCARD",
    ).encode("utf-8")


def rapport_fields():
    # Our own custom fields (X-RAPPORT-FIELD, see src/vcard.rs), in a vCard 4.0 with CRLF.
    return lines(
        "BEGIN:VCARD",
        "VERSION:4.0",
        "FN:Ana Lima",
        "ORG:Lima Imports",
        "EMAIL:ana@lima.example",
        "X-RAPPORT-FIELD;NAME=Contract expiry:2027-03-31",
        'X-RAPPORT-FIELD;NAME="Size, cm":120\\, 80',
        "X-RAPPORT-FIELD:no name",
        "END:VCARD",
    ).encode("utf-8")


# --- CSV --------------------------------------------------------------------------------

OUTLOOK_EN = (
    "First Name,Middle Name,Last Name,Title,Suffix,Initials,Web Page,Gender,Birthday,"
    "Anniversary,Location,Language,Internet Free Busy,Notes,E-mail Address,E-mail 2 Address,"
    "E-mail 3 Address,Primary Phone,Home Phone,Home Phone 2,Mobile Phone,Pager,Home Fax,"
    "Home Address,Home Street,Home Street 2,Home Street 3,Home Address PO Box,Home City,"
    "Home State,Home Postal Code,Home Country/Region,Spouse,Children,Manager's Name,"
    "Assistant's Name,Referred By,Company Main Phone,Business Phone,Business Phone 2,"
    "Business Fax,Assistant's Phone,Company,Job Title,Department,Office Location,"
    "Organizational ID Number,Profession,Account,Business Address,Business Street,"
    "Business Street 2,Business Street 3,Business Address PO Box,Business City,"
    "Business State,Business Postal Code,Business Country/Region,Other Phone,Other Fax,"
    "Other Address,Other Street,Other Street 2,Other Street 3,Other Address PO Box,"
    "Other City,Other State,Other Postal Code,Other Country/Region,Callback,Car Phone,ISDN,"
    "Radio Phone,TTY/TDD Phone,Telex,User 1,User 2,User 3,User 4,Keywords,Mobility,Hobby,"
    "Billing Information,Directory Server,Sensitivity,Priority,Private,Categories"
).split(",")


def csv_row(cells, delim=",", quote_all=True):
    out = []
    for c in cells:
        if quote_all or any(x in c for x in (delim, '"', "\n", "\r")):
            out.append('"' + c.replace('"', '""') + '"')
        else:
            out.append(c)
    return delim.join(out)


def by_header(header, values, default=""):
    return [values.get(h, default) for h in header]


def outlook_defaults(header, values, empty_date="0/0/00"):
    base = {
        "Gender": "Unspecified",
        "Birthday": empty_date,
        "Anniversary": empty_date,
        "Sensitivity": "Normal",
        "Priority": "Normal",
        "Private": "False",
    }
    base.update(values)
    return by_header(header, base)


def outlook_2003_cp1252():
    # Outlook 2003-2013 "Export to a file > Comma Separated Values (Windows)": the ANSI code
    # page (windows-1252), every field quoted, CRLF, `0/0/00` for empty dates.
    rows = [
        {
            "First Name": "José", "Last Name": "Müller", "Initials": "J.M.",
            "E-mail Address": "jose.mueller@mueller-logistik.example",
            "E-mail Type": "SMTP", "E-mail Display Name": "José Müller (jose.mueller@mueller-logistik.example)",
            "Business Phone": "+49 40 1234567", "Mobile Phone": "+49 171 2345678",
            "Company": "Müller Logistik GmbH", "Job Title": "Disponent",
            "Business Street": "Große Elbstraße 145", "Business City": "Hamburg",
            "Business Postal Code": "22767", "Business Country/Region": "Deutschland",
            "Notes": "Spricht Spanisch und Deutsch.", "Categories": "Kunden;Hamburg",
            "Birthday": "5/17/1979",
        },
        {
            "First Name": "Zoë", "Last Name": "Lefèvre", "Initials": "Z.L.",
            "E-mail Address": "zoe.lefevre@cafe-noir.example",
            "Business Phone": "+33 1 42 68 53 00", "Company": "Café Noir SARL",
            "Job Title": "Gérante", "Business Street": "12 rue de Rivoli",
            "Business City": "Paris", "Business Postal Code": "75004",
            "Business Country/Region": "France", "Web Page": "http://cafe-noir.example",
            "Spouse": "Théo", "Categories": "Kunden",
        },
    ]
    out = csv_row(OUTLOOK_EN) + CRLF
    for r in rows:
        out += csv_row(outlook_defaults(OUTLOOK_EN, r)) + CRLF
    return out.encode("cp1252")


def outlook_2016_exchange():
    # Outlook 2016 English export of a company address book: Exchange contacts carry an
    # X.500 address ("E-mail Type" EX) instead of an SMTP one; an extension typed as
    # "x102"; ASCII only, so windows-1252 and UTF-8 are the same bytes. CRLF, all quoted.
    rows = [
        {
            "First Name": "Grace", "Last Name": "Hopper", "Company": "Contoso Ltd.",
            "Job Title": "Rear Admiral", "Business Phone": "+1 425 555 0100 x102",
            "E-mail Address": "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ghopper",
            "E-mail Type": "EX", "E-mail Display Name": "Grace Hopper",
            "E-mail 2 Address": "grace.hopper@contoso.example", "E-mail 2 Type": "SMTP",
            "Business Street": "1 Microsoft Way", "Business City": "Redmond",
            "Business State": "WA", "Business Postal Code": "98052",
            "Business Country/Region": "United States of America",
            "Title": "Dr.", "Office Location": "Building 4",
        },
        {
            "First Name": "Alan", "Last Name": "Turing", "Company": "Contoso Ltd.",
            "Business Phone": "+44 20 7946 0000 ext. 7", "Mobile Phone": "+44 7700 900123",
            "E-mail Address": "alan.turing@contoso.example", "E-mail Type": "SMTP",
            "E-mail Display Name": "Alan Turing (alan.turing@contoso.example)",
            "Home Street": "43 Adlington Road", "Home City": "Wilmslow",
            "Home Postal Code": "SK9 2BJ", "Home Country/Region": "United Kingdom",
            "Birthday": "6/23/1912",
        },
    ]
    out = csv_row(OUTLOOK_EN) + CRLF
    for r in rows:
        out += csv_row(outlook_defaults(OUTLOOK_EN, r)) + CRLF
    return out.encode("cp1252")


OUTLOOK_DE = [
    "Anrede", "Vorname", "Weitere Vornamen", "Nachname", "Suffix", "Firma", "Abteilung",
    "Position", "Straße geschäftlich", "Straße geschäftlich 2", "Straße geschäftlich 3",
    "Ort geschäftlich", "Region geschäftlich", "Postleitzahl geschäftlich",
    "Land/Region geschäftlich", "Straße privat", "Straße privat 2", "Straße privat 3",
    "Ort privat", "Bundesland/Kanton privat", "Postleitzahl privat", "Land/Region privat",
    "Weitere Straße", "Weitere Straße 2", "Weitere Straße 3", "Weiterer Ort",
    "Weiteres/r Bundesland/Kanton", "Weitere Postleitzahl", "Weiteres/e Land/Region",
    "Telefon Assistent", "Fax geschäftlich", "Telefon geschäftlich",
    "Telefon geschäftlich 2", "Rückmeldung", "Autotelefon", "Telefon Firma", "Fax privat",
    "Telefon privat", "Telefon privat 2", "ISDN", "Mobiltelefon", "Weiteres Fax",
    "Weiteres Telefon", "Pager", "Haupttelefon", "Mobiltelefon 2",
    "Telefon für Hörbehinderte", "Telex", "Abrechnungsinformation", "Benutzer 1",
    "Benutzer 2", "Benutzer 3", "Benutzer 4", "Beruf", "Büro", "E-Mail-Adresse",
    "E-Mail-Typ", "E-Mail: Angezeigter Name", "E-Mail 2: Adresse", "E-Mail 2: Typ",
    "E-Mail 2: Angezeigter Name", "E-Mail 3: Adresse", "E-Mail 3: Typ",
    "E-Mail 3: Angezeigter Name", "Empfohlen von", "Geburtstag", "Geschlecht", "Hobby",
    "Initialen", "Internet Frei/Gebucht", "Jahrestag", "Kategorien", "Kinder", "Konto",
    "Name Assistent", "Name des/r Vorgesetzten", "Notizen", "Organisationsnr.", "Ort",
    "Partner", "Postfach geschäftlich", "Postfach privat", "Priorität", "Privat",
    "Regierungsnr.", "Reisekilometer", "Sprache", "Stichwörter", "Vertraulichkeit",
    "Verzeichnisserver", "Webseite", "Weiteres Postfach",
]


def outlook_german():
    # German Outlook's CSV export on a German Windows: `;` as the list separator, every
    # field quoted, windows-1252, CRLF, `0.0.00` for empty dates, "Nicht angegeben",
    # "Normal" and "Aus" as defaults.
    def row(values):
        base = {
            "Geburtstag": "0.0.00", "Jahrestag": "0.0.00", "Geschlecht": "Nicht angegeben",
            "Priorität": "Normal", "Privat": "Aus", "Vertraulichkeit": "Normal",
        }
        base.update(values)
        return by_header(OUTLOOK_DE, base)

    rows = [
        {
            "Anrede": "Frau", "Vorname": "Jürgen", "Nachname": "Weiß", "Firma": "Weiß & Söhne KG",
            "Position": "Einkaufsleiter", "Abteilung": "Einkauf",
            "Straße geschäftlich": "Königstraße 27", "Ort geschäftlich": "Stuttgart",
            "Postleitzahl geschäftlich": "70173", "Land/Region geschäftlich": "Deutschland",
            "Telefon geschäftlich": "+49 711 123456-0", "Mobiltelefon": "+49 172 9876543",
            "E-Mail-Adresse": "j.weiss@weiss-soehne.example", "E-Mail-Typ": "SMTP",
            "E-Mail: Angezeigter Name": "Jürgen Weiß (j.weiss@weiss-soehne.example)",
            "Webseite": "https://weiss-soehne.example", "Geburtstag": "31.3.1970",
            "Kategorien": "Lieferanten;Süd", "Initialen": "J.W.",
            "Notizen": "Bevorzugt Termine am Vormittag.\r\nRabatt: 3 %",
        },
        {
            "Vorname": "Anna", "Nachname": "Schäfer", "Firma": "Grün GmbH",
            "Telefon privat": "030 1234567", "Straße privat": "Müllerstraße 5",
            "Ort privat": "Berlin", "Postleitzahl privat": "13353",
            "E-Mail-Adresse": "anna.schaefer@gruen.example", "E-Mail-Typ": "SMTP",
            "Initialen": "A.S.", "Hobby": "Rudern",
        },
    ]
    out = csv_row(OUTLOOK_DE, ";") + CRLF
    for r in rows:
        out += csv_row(row(r), ";") + CRLF
    return out.encode("cp1252")


OUTLOOK_FR = [
    "Titre", "Prénom", "Deuxième prénom", "Nom", "Suffixe", "Société", "Service", "Titre",
    "Rue (bureau)", "Rue (bureau) 2", "Rue (bureau) 3", "Ville (bureau)",
    "Dép/Région (bureau)", "Code postal (bureau)", "Pays/Région (bureau)", "Rue (domicile)",
    "Rue (domicile) 2", "Rue (domicile) 3", "Ville (domicile)", "Dép/Région (domicile)",
    "Code postal (domicile)", "Pays/Région (domicile)", "Rue (autre)", "Rue (autre) 2",
    "Rue (autre) 3", "Ville (autre)", "Dép/Région (autre)", "Code postal (autre)",
    "Pays/Région (autre)", "Téléphone de l'assistant(e)", "Télécopie (bureau)",
    "Téléphone (bureau)", "Téléphone 2 (bureau)", "Rappel", "Téléphone (voiture)",
    "Téléphone société", "Télécopie (domicile)", "Téléphone (domicile)",
    "Téléphone 2 (domicile)", "RNIS", "Tél. mobile", "Télécopie (autre)",
    "Téléphone (autre)", "Récepteur de radiomessagerie", "Téléphone principal",
    "Radio téléphone", "Téléphone TDD/TTY", "Télex", "Adresse de messagerie",
    "Type de messagerie", "Nom complet de l'adresse de messagerie", "Adresse de messagerie 2",
    "Type de messagerie 2", "Nom complet de l'adresse de messagerie 2",
    "Adresse de messagerie 3", "Type de messagerie 3",
    "Nom complet de l'adresse de messagerie 3", "Anniversaire",
    "Anniversaire de mariage ou fête", "Autre boîte postale", "B.P. professionnelle",
    "Boîte postale du domicile", "Bureau", "Catégories", "Code gouvernement", "Compte",
    "Conjoint(e)", "Critère de diffusion", "Disponibilité Internet", "Emplacement",
    "Enfants", "Informations facturation", "Initiales", "Kilométrage", "Langue",
    "Mots clés", "Nom de l'assistant(e)", "Notes",
    "Numéro d'identification de l'organisation", "Page Web", "Passe-temps", "Priorité",
    "Privé", "Profession", "Recommandé par", "Responsable", "Serveur d'annuaire", "Sexe",
    "Utilisateur 1", "Utilisateur 2", "Utilisateur 3", "Utilisateur 4",
]


def outlook_french():
    # French Outlook's CSV export: windows-1252, comma, every field quoted, CRLF; `Titre`
    # twice (the salutation first, the job title after `Service`); dates day first.
    def row(first_titre, values):
        base = {
            "Anniversaire": "0/0/00", "Anniversaire de mariage ou fête": "0/0/00",
            "Critère de diffusion": "Normal", "Priorité": "Normale", "Privé": "Désactivé",
            "Sexe": "Non spécifié",
        }
        base.update(values)
        cells = by_header(OUTLOOK_FR, base)
        cells[0] = first_titre
        return cells

    rows = [
        ("M.", {
            "Prénom": "François", "Nom": "Lefèvre", "Société": "Château Lefèvre SAS",
            "Service": "Export", "Titre": "Directeur commercial",
            "Rue (bureau)": "3 allée des Vignes", "Ville (bureau)": "Bordeaux",
            "Code postal (bureau)": "33000", "Pays/Région (bureau)": "France",
            "Téléphone (bureau)": "+33 5 56 00 00 00", "Tél. mobile": "+33 6 12 34 56 78",
            "Adresse de messagerie": "f.lefevre@chateau-lefevre.example",
            "Type de messagerie": "SMTP",
            "Nom complet de l'adresse de messagerie": "François Lefèvre (f.lefevre@chateau-lefevre.example)",
            "Anniversaire": "14/7/1975", "Catégories": "Clients;Vins",
            "Notes": "Préfère être appelé le matin.", "Page Web": "https://chateau-lefevre.example",
            "Initiales": "F.L.",
        }),
        ("Mme", {
            "Prénom": "Hélène", "Nom": "Dubois-Gauthier", "Société": "Épicerie Fine Gauthier",
            "Titre": "Gérante", "Téléphone (bureau)": "+32 2 512 34 56",
            "Adresse de messagerie": "helene@epicerie-gauthier.example",
            "Type de messagerie": "SMTP", "Ville (bureau)": "Bruxelles",
            "Pays/Région (bureau)": "Belgique", "Conjoint(e)": "Marc",
        }),
    ]
    out = csv_row(OUTLOOK_FR) + CRLF
    for t, r in rows:
        out += csv_row(row(t, r)) + CRLF
    return out.encode("cp1252")


THUNDERBIRD = (
    "First Name,Last Name,Display Name,Nickname,Primary Email,Secondary Email,Screen Name,"
    "Work Phone,Home Phone,Fax Number,Pager Number,Mobile Number,Home Address,"
    "Home Address 2,Home City,Home State,Home ZipCode,Home Country,Work Address,"
    "Work Address 2,Work City,Work State,Work ZipCode,Work Country,Job Title,Department,"
    "Organization,Web Page 1,Web Page 2,Birth Year,Birth Month,Birth Day,Custom 1,Custom 2,"
    "Custom 3,Custom 4,Notes"
).split(",")


def thunderbird():
    # Thunderbird's address book "Export > Comma separated (UTF-8)" on Linux: the classic
    # header with a trailing comma (an empty last column), fields quoted only when needed,
    # LF line ends, birthday in three columns.
    rows = [
        {
            "First Name": "Ada", "Last Name": "Lovelace", "Display Name": "Ada Lovelace",
            "Nickname": "Ada", "Primary Email": "ada@analytical.example",
            "Secondary Email": "countess@lovelace.example", "Screen Name": "ada_l",
            "Work Phone": "+44 20 7946 0958 ext 12", "Mobile Number": "+44 7700 900456",
            "Work Address": "12 St James's Square", "Work City": "London",
            "Work ZipCode": "SW1Y 4JH", "Work Country": "United Kingdom",
            "Job Title": "Analyst", "Organization": "Analytical Engines, Ltd.",
            "Web Page 1": "https://analytical.example", "Birth Year": "1815",
            "Birth Month": "12", "Birth Day": "10", "Custom 1": "Met at the Royal Society",
            "Notes": "Notes on the engine,\nsent in 1843.",
        },
        {
            "First Name": "Björk", "Last Name": "Guðmundsdóttir", "Display Name": "Björk",
            "Primary Email": "bjork@reykjavik.example", "Home Phone": "+354 551 2345",
            "Home City": "Reykjavík", "Home Country": "Ísland",
        },
        {
            "Display Name": "Support desk", "Primary Email": "support@helpdesk.example",
            "Pager Number": "beeper only",
        },
    ]
    out = ",".join(THUNDERBIRD) + ",\n"
    for r in rows:
        out += csv_row(by_header(THUNDERBIRD, r), quote_all=False) + ",\n"
    return out.encode("utf-8")


GMAIL = (
    "First Name,Middle Name,Last Name,Phonetic First Name,Phonetic Middle Name,"
    "Phonetic Last Name,Name Prefix,Name Suffix,Nickname,File As,Organization Name,"
    "Organization Title,Organization Department,Birthday,Notes,Photo,Labels,"
    "E-mail 1 - Label,E-mail 1 - Value,E-mail 2 - Label,E-mail 2 - Value,Phone 1 - Label,"
    "Phone 1 - Value,Phone 2 - Label,Phone 2 - Value,Address 1 - Label,"
    "Address 1 - Formatted,Address 1 - Street,Address 1 - City,Address 1 - PO Box,"
    "Address 1 - Region,Address 1 - Postal Code,Address 1 - Country,"
    "Address 1 - Extended Address,Relation 1 - Label,Relation 1 - Value,Website 1 - Label,"
    "Website 1 - Value,Custom Field 1 - Label,Custom Field 1 - Value"
).split(",")


def gmail():
    # Google Contacts "Export > Google CSV" (the current header), UTF-8 without a byte
    # order mark, CRLF, `* myContacts` system labels, ` ::: ` between values in one cell.
    rows = [
        {
            "First Name": "Priya", "Last Name": "Raman", "Nickname": "Pri",
            "Organization Name": "Raman Textiles Pvt Ltd", "Organization Title": "Founder",
            "Labels": "* myContacts ::: * starred ::: Suppliers",
            "E-mail 1 - Label": "* Work", "E-mail 1 - Value": "priya@ramantextiles.example",
            "E-mail 2 - Label": "Home", "E-mail 2 - Value": "priya.raman@mail.example ::: pri@alt.example",
            "Phone 1 - Label": "Mobile", "Phone 1 - Value": "+91 98450 12345",
            "Phone 2 - Label": "Work", "Phone 2 - Value": "+91 80 2345 6789 #204",
            "Address 1 - Label": "Work",
            "Address 1 - Formatted": "14 MG Road\nBengaluru, Karnataka 560001\nIndia",
            "Address 1 - Street": "14 MG Road", "Address 1 - City": "Bengaluru",
            "Address 1 - Region": "Karnataka", "Address 1 - Postal Code": "560001",
            "Address 1 - Country": "India",
            "Relation 1 - Label": "Spouse", "Relation 1 - Value": "Arjun",
            "Website 1 - Label": "Profile", "Website 1 - Value": "https://ramantextiles.example/priya",
            "Custom Field 1 - Label": "GSTIN", "Custom Field 1 - Value": "29ABCDE1234F1Z5",
            "Birthday": "1983-11-02", "Notes": "Samples ship from Tiruppur.",
        },
        {
            "First Name": "Kwame", "Last Name": "Mensah", "Labels": "* myContacts",
            "E-mail 1 - Label": "* Other", "E-mail 1 - Value": "kwame.mensah@accra.example",
            "Birthday": "--08-14",
        },
    ]
    out = ",".join(GMAIL) + CRLF
    for r in rows:
        out += csv_row(by_header(GMAIL, r), quote_all=False) + CRLF
    return out.encode("utf-8")


GOOGLE_LEGACY = (
    "Name,Given Name,Additional Name,Family Name,Yomi Name,Given Name Yomi,"
    "Additional Name Yomi,Family Name Yomi,Name Prefix,Name Suffix,Initials,Nickname,"
    "Short Name,Maiden Name,Birthday,Gender,Location,Billing Information,Directory Server,"
    "Mileage,Occupation,Hobby,Sensitivity,Priority,Subject,Notes,Group Membership,"
    "E-mail 1 - Type,E-mail 1 - Value,E-mail 2 - Type,E-mail 2 - Value,Phone 1 - Type,"
    "Phone 1 - Value,Phone 2 - Type,Phone 2 - Value,Address 1 - Type,Address 1 - Formatted,"
    "Address 1 - Street,Address 1 - City,Address 1 - PO Box,Address 1 - Region,"
    "Address 1 - Postal Code,Address 1 - Country,Address 1 - Extended Address,"
    "Organization 1 - Type,Organization 1 - Name,Organization 1 - Yomi Name,"
    "Organization 1 - Title,Organization 1 - Department,Organization 1 - Symbol,"
    "Organization 1 - Location,Organization 1 - Job Description,Website 1 - Type,"
    "Website 1 - Value"
).split(",")


def google_legacy_utf16():
    # The older Gmail "Google CSV" export (until 2019): UTF-16LE with a byte order mark,
    # comma separated, CRLF; a phone typed as the word "pager" under a "Pager" type.
    rows = [
        {
            "Name": "Lukas Weber", "Given Name": "Lukas", "Family Name": "Weber",
            "Group Membership": "* My Contacts ::: Lieferanten",
            "E-mail 1 - Type": "* Work", "E-mail 1 - Value": "lukas@weber-logistik.example",
            "Phone 1 - Type": "Mobile", "Phone 1 - Value": "+49 151 2345678",
            "Phone 2 - Type": "Pager", "Phone 2 - Value": "pager",
            "Organization 1 - Type": "", "Organization 1 - Name": "Weber Logistik GmbH",
            "Organization 1 - Title": "Einkauf", "Occupation": "Logistiker",
        },
        {
            "Name": "Søren Kierkegaard", "Given Name": "Søren", "Family Name": "Kierkegaard",
            "Group Membership": "* My Contacts",
            "E-mail 1 - Type": "* Home", "E-mail 1 - Value": "soren@kbh.example",
            "Address 1 - Type": "Home", "Address 1 - Formatted": "Nytorv 2\n1450 København K",
            "Address 1 - Street": "Nytorv 2", "Address 1 - City": "København K",
            "Address 1 - Postal Code": "1450", "Birthday": "1813-05-05",
        },
    ]
    out = ",".join(GOOGLE_LEGACY) + CRLF
    for r in rows:
        out += csv_row(by_header(GOOGLE_LEGACY, r), quote_all=False) + CRLF
    return b"\xff\xfe" + out.encode("utf-16-le")


def excel_unicode_text():
    # A Google CSV opened in Excel and saved as "Unicode Text (*.txt)": UTF-16LE with a byte
    # order mark, TAB separated, CRLF, Excel quoting only cells that need it.
    header = [
        "First Name", "Last Name", "Organization Name", "E-mail 1 - Label", "E-mail 1 - Value",
        "Phone 1 - Label", "Phone 1 - Value", "Notes",
    ]
    rows = [
        ["美咲", "鈴木", "株式会社スズキ商会", "* Work", "misaki@suzuki-shokai.example",
         "Mobile", "+81 90-1111-2222", "請求書は月末締め"],
        ["Oğuz", "Yılmaz", "Yılmaz Tekstil A.Ş.", "* Work", "oguz@yilmaz.example",
         "Work", "+90 212 555 01 01", "Ödeme 30 gün"],
    ]
    out = "\t".join(header) + CRLF
    for r in rows:
        out += "\t".join(r) + CRLF
    return b"\xff\xfe" + out.encode("utf-16-le")


def utf16_no_bom():
    # An Outlook-header contacts CSV written as UTF-16LE without a byte order mark, as tools
    # built on .NET's UnicodeEncoding without a preamble write it; comma, CRLF.
    header = ["First Name", "Last Name", "Company", "E-mail Address", "Mobile Phone",
              "Business Phone", "Notes"]
    rows = [
        ["Дмитрий", "Иванов", "ООО Северный Путь", "d.ivanov@sever.example",
         "+7 916 123-45-67", "+7 495 123-45-67", "Звонить после обеда"],
        ["Νίκος", "Παπαδόπουλος", "Αιγαίο Α.Ε.", "nikos@aigaio.example", "+30 694 123 4567",
         "", ""],
    ]
    out = ",".join(header) + CRLF
    for r in rows:
        out += csv_row(r, quote_all=False) + CRLF
    return out.encode("utf-16-le")


def gbk_excel():
    # A Google CSV edited in Excel on a Chinese Windows and saved as "CSV (逗号分隔)": GBK
    # (code page 936), CRLF, quotes only where needed; a phone with "转" (extension).
    header = ["First Name", "Last Name", "Organization Name", "Organization Title",
              "E-mail 1 - Value", "Phone 1 - Label", "Phone 1 - Value", "Phone 2 - Label",
              "Phone 2 - Value", "Address 1 - Formatted", "Labels", "Notes"]
    rows = [
        ["伟", "张", "上海华东贸易有限公司", "采购经理", "zhangwei@huadong.example",
         "Mobile", "13812345678", "Work", "021-62345678转801",
         "上海市浦东新区世纪大道100号", "客户 ::: 华东", "每季度下单，付款准时"],
        ["娜", "李", "北京新科技术有限公司", "总经理", "lina@xinke.example",
         "Mobile", "13998765432", "", "", "北京市海淀区中关村大街1号", "客户", ""],
        ["", "", "深圳市星河电子有限公司", "", "sales@xinghe.example", "Work",
         "0755-8888 6666", "", "", "", "供应商", "公司账户"],
    ]
    out = ",".join(header) + CRLF
    for r in rows:
        out += csv_row(r, quote_all=False) + CRLF
    return out.encode("gbk")


FILES = {
    "rfc6350-example.vcf": rfc6350_example,
    "ios-contacts.vcf": ios_contacts,
    "android-v21-quoted-printable.vcf": android_v21,
    "android-text-in-email.vcf": android_email_text,
    "feature-phone-shift_jis.vcf": shift_jis_phone,
    "phone-big5.vcf": big5_phone,
    "outlook-2019-v21-windows-1252.vcf": outlook_v21,
    "owncloud.vcf": owncloud,
    "rapport-custom-fields.vcf": rapport_fields,
    "outlook-2003-windows-1252.csv": outlook_2003_cp1252,
    "outlook-2016-exchange.csv": outlook_2016_exchange,
    "outlook-german.csv": outlook_german,
    "outlook-french.csv": outlook_french,
    "thunderbird.csv": thunderbird,
    "gmail.csv": gmail,
    "google-legacy-utf16le.csv": google_legacy_utf16,
    "excel-unicode-text-utf16le.txt": excel_unicode_text,
    "utf16le-no-bom.csv": utf16_no_bom,
    "excel-gbk.csv": gbk_excel,
}

if __name__ == "__main__":
    for name, make in FILES.items():
        write(name, make())
        print(name)
