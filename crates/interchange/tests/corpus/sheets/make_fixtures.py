#!/usr/bin/env python3
"""Makes the spreadsheet fixtures beside this script (see README.md).

    python3 -m venv /tmp/v && /tmp/v/bin/pip install xlwt==1.3.0 msoffcrypto-tool==6.1.0
    /tmp/v/bin/python make_fixtures.py

chinese-team.xlsx must exist first (the ignored `write_corpus` test writes it).
"""
import datetime
import io
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def spanish_ods():
    def s(text, extra=""):
        return f'<table:table-cell office:value-type="string"{extra}><text:p>{text}</text:p></table:table-cell>'

    def date(iso):
        return f'<table:table-cell office:value-type="date" office:date-value="{iso}"><text:p>{iso}</text:p></table:table-cell>'

    empty = "<table:table-cell/>"
    headers = ["Empresa", "Contacto", "Teléfono", "Correo", "Vendedor", "Última visita",
               "Próxima visita", "Ventas", "Etiquetas", "Notas"]
    rows = [
        # Title merged across the ten columns, then a blank row.
        '<table:table-row>' + s("Clientes 2026", ' table:number-columns-spanned="10"')
        + '<table:covered-table-cell table:number-columns-repeated="9"/></table:table-row>',
        '<table:table-row><table:table-cell table:number-columns-repeated="10"/></table:table-row>',
        '<table:table-row>' + "".join(s(h) for h in headers) + '</table:table-row>',
        '<table:table-row>' + s("Distribuciones Ibéricas S.L.") + s("Lucía Fernández")
        + s("+34 91 123 45 67") + s("lucia@ibericas.es")
        + s("Marta Ruiz", ' table:number-rows-spanned="2"') + date("2026-11-20") + s("03/12/2026")
        + '<table:table-cell office:value-type="currency" office:currency="EUR" office:value="1234.56"><text:p>1.234,56 €</text:p></table:table-cell>'
        + s("mayorista, Madrid") + s("Cliente desde 2019") + '</table:table-row>',
        '<table:table-row>' + s("Textiles Levante S.A.") + s("Jorge Martín") + s("600 123 456")
        + s("jorge(at)levante.es") + '<table:covered-table-cell/>' + date("2026-10-02") + s("15/12/2026")
        + s("1.234,56 €") + empty + empty + '</table:table-row>',
        '<table:table-row>' + s("Frutas del Sur S.L.") + s("Ana López") + s("955 000 111")
        + s("ana@frutasdelsur.es") + s("Pablo Gómez") + empty + s("25/12/2026")
        + '<table:table-cell table:formula="of:=1/0" office:value-type="string" office:string-value="" calcext:value-type="error"><text:p>#DIV/0!</text:p></table:table-cell>'
        + '</table:table-row>',
        # LibreOffice writes the rest of the sheet as one repeated empty row.
        '<table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>',
    ]
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
        'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" '
        'office:version="1.3"><office:body><office:spreadsheet>'
        '<table:table table:name="Clientes"><table:table-column table:number-columns-repeated="10"/>'
        + "".join(rows)
        + '</table:table><table:table table:name="Notas"><table:table-row>'
        + s("Actualizar cada lunes") + '</table:table-row></table:table>'
        '</office:spreadsheet></office:body></office:document-content>'
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        '</manifest:manifest>'
    )
    buf = io.BytesIO()
    fixed = (2026, 12, 1, 0, 0, 0)
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype", fixed), "application/vnd.oasis.opendocument.spreadsheet",
                   compress_type=zipfile.ZIP_STORED)
        for name, body in [("META-INF/manifest.xml", manifest), ("content.xml", content)]:
            z.writestr(zipfile.ZipInfo(name, fixed), body, compress_type=zipfile.ZIP_DEFLATED)
    with open(os.path.join(HERE, "spanish-team.ods"), "wb") as f:
        f.write(buf.getvalue())


def french_xls():
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Clients")
    dmy = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    ws.write_merge(0, 0, 0, 9, "Liste des clients")
    headers = ["Société", "Contact", "Téléphone", "Courriel", "Commercial", "Dernière visite",
               "Prochaine visite", "Chiffre d'affaires", "Étiquettes", "Remarques"]
    for c, h in enumerate(headers):
        ws.write(2, c, h)
    rows = [
        ["Dupont SARL", "Marie Dupont", "01 23 45 67 89", "marie@dupont.fr", None,
         datetime.date(2026, 11, 20), "03/12/2026", 125000, "grossiste; Paris", "Client fidèle"],
        ["Boulangerie Petit SAS", "Paul Petit", "06 12 34 56 78", "paul@petit.fr", None,
         datetime.date(2026, 10, 1), "15/12/2026", "1\u00a0234,56 €", None, None],
        ["Café Lumière", "Sophie Leroy", "04 78 00 11 22", "sophie@lumiere.fr", "Luc Bernard",
         datetime.date(2026, 9, 5), None, 980.5, None, None],
    ]
    for r, row in enumerate(rows, start=3):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, datetime.date):
                ws.write(r, c, v, dmy)
            else:
                ws.write(r, c, v)
    ws.write_merge(3, 4, 4, 4, "Claire Martin")
    wb.save(os.path.join(HERE, "french-team.xls"))


def password_xlsx():
    from msoffcrypto.format.ooxml import OOXMLFile

    with open(os.path.join(HERE, "chinese-team.xlsx"), "rb") as f:
        plain = OOXMLFile(f)
        with open(os.path.join(HERE, "password.xlsx"), "wb") as out:
            plain.encrypt("secret", out)


if __name__ == "__main__":
    spanish_ods()
    french_xls()
    password_xlsx()
