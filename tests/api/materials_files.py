"""Sample files of every accepted material type, built from the formats' own
definitions (not from the daemon's tables): PDF (ISO 32000 header), DOCX (OOXML
package: [Content_Types].xml and word/document.xml in a ZIP), DOC (OLE2 compound
file signature), OFD (GB/T 33190: OFD.xml at the root of a ZIP), JPEG (SOI + APP0),
PNG (signature + IHDR + IEND)."""

import io
import struct
import zipfile
import zlib


def pdf(text="draft"):
    body = ("%%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\n%% %s\n%%%%EOF\n" % text)
    return body.encode("latin-1") + bytes(range(256))


def _zip(names):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in names:
            z.writestr(name, data)
    return buf.getvalue()


def docx():
    return _zip([("[Content_Types].xml", "<Types/>"), ("_rels/.rels", "<Relationships/>"),
                 ("word/document.xml", "<w:document>草案</w:document>")])


def ofd():
    return _zip([("OFD.xml", "<ofd:OFD/>"), ("Doc_0/Document.xml", "<ofd:Document/>")])


def plain_zip():
    return _zip([("readme.txt", "not a document")])


def doc():
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + b"WordDocument" * 40


def jpeg():
    return (b"\xff\xd8\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01"
            b"\x00\x01\x00\x00" + bytes(64) + b"\xff\xd9")


def png():
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00\x00")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) +
            chunk(b"IEND", b""))


def elf():
    return b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x02\x00\x3e\x00" + bytes(200)


TYPES = {
    "PDF": ("application/pdf", ".pdf", pdf),
    "DOCX": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             ".docx", docx),
    "DOC": ("application/msword", ".doc", doc),
    "OFD": ("application/ofd", ".ofd", ofd),
    "JPEG": ("image/jpeg", ".jpg", jpeg),
    "PNG": ("image/png", ".png", png),
}
