/// The report as other systems read it (SPEC §5): JSON (the contract) and CSV (`;`, decimal
/// comma, for Excel in a Swedish locale), both written from ``ShownReport``, where a
/// ``Suppression`` hides every count and share as SPEC §3 requires. The standalone HTML page
/// is the web module's `ReportPage`, from the same value.
public struct ReportDocument: Sendable {
    public var report: Report
    public var suppression: Suppression?
    /// The agreement version the report was computed against (an extra field).
    public var agreementVersion: Int?
    /// The annual follow-up's further content (issue 9, part 7): in the HTML (and so the PDF)
    /// and in a publication, as the extra member `followUp`.
    public var followUp: FollowUp?

    public init(report: Report, suppression: Suppression? = nil, agreementVersion: Int? = nil, followUp: FollowUp? = nil) {
        self.report = report
        self.suppression = suppression
        self.agreementVersion = agreementVersion
        self.followUp = followUp
    }

    /// Every figure as it may be shown: suppressed here, once, for every rendering.
    public var shown: ShownReport {
        ShownReport(report, suppression: suppression, agreementVersion: agreementVersion, followUp: followUp)
    }

    public var json: JSONValue { shown.json }

    // MARK: CSV

    /// Long format, one figure a row: `avsnitt;spår;mått;värde` (section;track;figure;value).
    /// `;`-separated with decimal comma and CRLF, UTF-8 with a byte-order mark, as Excel
    /// in a Swedish locale opens it directly.
    public var csv: String {
        var rows: [[String]] = [["section", "track", "figure", "value"]]
        func cell(_ v: JSONValue) -> String {
            switch v {
            case .null: ""
            case .int(let n): String(n)
            case .double(let d): String(d).replacing(".", with: ",")
            case .string(let s): CSVText.defused(s)
            case .bool(let b): b ? "true" : "false"
            default: ""
            }
        }
        guard case .object(let members) = json else { return "" }
        for (key, value) in members {
            switch value {
            case .object(let inner):
                for (k, v) in inner { rows.append([key, "", k, cell(v)]) }
            case .array(let items):
                for item in items {
                    guard case .object(let inner) = item else { continue }
                    let code = inner.first { $0.0 == "code" }.map { cell($0.1) } ?? ""
                    for (k, v) in inner where k != "code" {
                        if case .object(let goal) = v {
                            for (gk, gv) in goal { rows.append([key, code, "\(k).\(gk)", cell(gv)]) }
                        } else {
                            rows.append([key, code, k, cell(v)])
                        }
                    }
                }
            default:
                rows.append(["report", "", key, cell(value)])
            }
        }
        return "\u{FEFF}" + rows.map { $0.map(csvQuoted).joined(separator: ";") }.joined(separator: "\r\n") + "\r\n"
    }
}

/// Swedish names of the activity types (SPEC §2) and the funding sources, for documents
/// written outside the web interface's strings.
public enum ActivityKindName {
    public static let swedish: [String: String] = [
        "sfi": "Sfi", "civic_orientation": "Samhällsorientering", "vocational_swedish": "Yrkessvenska", "work_practice": "Praktik",
        "vocational_training": "Yrkesutbildning", "validation": "Validering", "study_guidance": "Studie- och yrkesvägledning",
        "job_search": "Jobbsökning", "health": "Hälsoinsats", "other": "Annan insats",
    ]
}

public enum FundingSourceName {
    public static let swedish: [String: String] = [
        "state_grant": "Statsbidrag", "municipal_budget": "Kommunens budget", "employment_service": "Arbetsförmedlingen",
        "coordination_association": "Samordningsförbundet", "esf": "Europeiska socialfonden (ESF)", "other": "Annan finansiering",
    ]
}

/// A cell of the report's `;`-separated CSV: quoted only when it holds `;`, a quote or a
/// line break (a decimal comma stays bare, as Excel writes it).
func csvQuoted(_ s: String) -> String {
    s.contains(where: { $0 == ";" || $0 == "\"" || $0 == "\n" || $0 == "\r" })
        ? "\"" + s.replacing("\"", with: "\"\"") + "\"" : s
}

/// Text for a spreadsheet cell that must stay text: a leading `= + - @`, tab or carriage
/// return (or their full-width forms) would make Excel or LibreOffice read a formula, so such
/// text gets a leading apostrophe (OWASP, CSV injection). Numbers are not text and keep their
/// sign.
public enum CSVText {
    public static func defused(_ s: String) -> String {
        guard let first = s.first, "=+-@\t\r＝＋－＠".contains(first) else { return s }
        return "'" + s
    }
}
