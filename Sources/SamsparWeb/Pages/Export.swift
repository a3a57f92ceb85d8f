import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparWire
import ZIPFoundation

/// One cell of an exported table.
enum Cell: Sendable {
    case text(String)
    case number(Double)
    case date(Day)
}

/// Lists and dashboards as files: CSV for Excel in a Swedish locale (`;`, decimal comma,
/// UTF-8 with a byte-order mark, CRLF) and XLSX (shared strings, real numbers, dates as
/// dates), written with ZIPFoundation.
enum Export {
    static func response(name: String, format: String, header: [String], rows: [[Cell]]) -> Response {
        if format == "xlsx" {
            let data = (try? XLSX.workbook(header: header, rows: rows)) ?? Data()
            return Response(
                status: .ok,
                headers: [
                    .contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    .contentDisposition: "attachment; filename=\"\(name).xlsx\"",
                ], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
        return Response(
            status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name).csv\""],
            body: ResponseBody(byteBuffer: ByteBuffer(string: csv(header: header, rows: rows))))
    }

    static func csv(header: [String], rows: [[Cell]]) -> String {
        func quoted(_ s: String) -> String {
            let s = CSVText.defused(s)
            return s.contains(where: { $0 == ";" || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacing("\"", with: "\"\"") + "\"" : s
        }
        var out = "\u{FEFF}" + header.map(quoted).joined(separator: ";") + "\r\n"
        for row in rows {
            out +=
                row.map { cell -> String in
                    switch cell {
                    case .text(let s): quoted(s)
                    case .number(let d): d.rounded() == d && abs(d) < 1e15 ? String(Int(d)) : String(d).replacing(".", with: ",")
                    case .date(let day): day.description
                    }
                }.joined(separator: ";") + "\r\n"
        }
        return out
    }
}

/// A one-sheet workbook (Office Open XML, SpreadsheetML).
enum XLSX {
    static func workbook(header: [String], rows: [[Cell]]) throws -> Data {
        var strings: [String] = []
        var index: [String: Int] = [:]
        func shared(_ s: String) -> Int {
            if let i = index[s] { return i }
            index[s] = strings.count
            strings.append(s)
            return strings.count - 1
        }
        func column(_ n: Int) -> String {
            var n = n + 1
            var name = ""
            while n > 0 {
                let r = (n - 1) % 26
                name = String(UnicodeScalar(UInt8(65 + r))) + name
                n = (n - 1) / 26
            }
            return name
        }
        var sheet = """
            <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
            <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
            """
        let all: [[Cell]] = [header.map { .text($0) }] + rows
        for (r, row) in all.enumerated() {
            sheet += "<row r=\"\(r + 1)\">"
            for (c, cell) in row.enumerated() {
                let ref = "\(column(c))\(r + 1)"
                switch cell {
                case .text(let s): sheet += "<c r=\"\(ref)\" t=\"s\"><v>\(shared(s))</v></c>"
                case .number(let d) where d.isFinite: sheet += "<c r=\"\(ref)\"><v>\(d)</v></c>"
                case .number(let d): sheet += "<c r=\"\(ref)\" t=\"s\"><v>\(shared(String(d)))</v></c>"
                // Days since 1899-12-30, Excel's day 0; style 1 shows them as YYYY-MM-DD.
                case .date(let day): sheet += "<c r=\"\(ref)\" s=\"1\"><v>\(Int(day.ordinal) + 25_569)</v></c>"
                }
            }
            sheet += "</row>"
        }
        sheet += "</sheetData></worksheet>"
        let sharedXML =
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"\(strings.count)\" uniqueCount=\"\(strings.count)\">"
            + strings.map { "<si><t xml:space=\"preserve\">\(xml($0))</t></si>" }.joined() + "</sst>"
        let files: [(String, String)] = [
            (
                "[Content_Types].xml",
                """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
                <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>\
                <Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
                <Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
                <Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>\
                <Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>
                """
            ),
            (
                "_rels/.rels",
                """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
                <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>
                """
            ),
            (
                "xl/workbook.xml",
                """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
                xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Samspår" sheetId="1" r:id="rId1"/></sheets></workbook>
                """
            ),
            (
                "xl/_rels/workbook.xml.rels",
                """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
                <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>\
                <Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>\
                <Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>
                """
            ),
            (
                "xl/styles.xml",
                """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
                <numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts>\
                <fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill>\
                <fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
                <cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
                <cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
                <xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>\
                <cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>
                """
            ),
            ("xl/sharedStrings.xml", sharedXML),
            ("xl/worksheets/sheet1.xml", sheet),
        ]
        // Names and identity numbers: written in the process's own 0700 directory (issue 21).
        let url = URL(fileURLWithPath: SpooledFile.directory).appendingPathComponent("export-\(UUID().uuidString).xlsx")
        defer { try? FileManager.default.removeItem(at: url) }
        let archive = try Archive(url: url, accessMode: .create)
        for (path, text) in files {
            let data = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return try Data(contentsOf: url)
    }

    /// Text as XML character data; characters XML 1.0 does not allow are left out.
    static func xml(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default: if scalar.value >= 0x20 { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
