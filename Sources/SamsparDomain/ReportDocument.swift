/// The report as other systems and people read it (SPEC §5): JSON (the contract), CSV
/// (`;`, decimal comma, for Excel in a Swedish locale) and a standalone HTML page.
/// With a ``Suppression`` every count and share is shown as SPEC §3 requires.
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

    /// The overall goal's verdict would tell a median that suppression hides.
    var overallGoalHidden: Bool { establishmentHidden && report.establishment.overallGoalMet != nil }

    private func count(_ n: Int) -> JSONValue {
        guard let suppression else { return .int(n) }
        return shown(suppression.show(n))
    }

    private func shown(_ c: ShownCount) -> JSONValue {
        switch c {
        case .value(let n): .int(n)
        case .small, .complementary: .string(c.text(threshold: suppression?.threshold ?? Suppression.defaultThreshold))
        }
    }

    private func share(_ r: Ratio) -> JSONValue {
        let value = suppression.map { $0.show(r) } ?? r.share
        return value.map(JSONValue.double) ?? .null
    }

    /// The female/male parts of `active`, with complementary suppression.
    private var sexParts: [ShownCount] {
        let parts = [report.participants.female, report.participants.male]
        return suppression?.show(parts: parts) ?? parts.map { .value($0) }
    }

    private var municipalityParts: [ShownCount] {
        let parts = report.municipalities.map(\.active)
        return suppression?.show(parts: parts) ?? parts.map { .value($0) }
    }

    /// Small populations, or few establishments within the goal, make Kaplan–Meier figures as
    /// revealing as a small count (SPEC §3). Without censoring the KM share is a plain fraction
    /// of the population, so the establishments it counts itself are checked too.
    private var establishmentHidden: Bool {
        guard let suppression else { return false }
        let e = report.establishment
        return suppression.isHidden(e.population) || suppression.isHidden(e.establishedWithinGoal)
            || suppression.isHidden(e.kmEstablishedWithinGoal)
    }

    /// The counts shown beside a count of a superset of the same people (the subset rule of
    /// SPEC §3): `measurable` within `population`, and `establishedWithinGoal` within
    /// `measurable` (within `population` when `measurable` itself is hidden).
    private var measurableParts: (total: ShownCount, subset: ShownCount) {
        let e = report.establishment
        guard let suppression else { return (.value(e.measurable), .value(e.establishedWithinGoal)) }
        let measurable = suppression.show(total: e.population, subset: e.measurable).subset
        let established =
            measurable.isHidden
            ? suppression.show(total: e.population, subset: e.establishedWithinGoal).subset
            : suppression.show(total: e.measurable, subset: e.establishedWithinGoal).subset
        return (measurable, established)
    }

    /// Target groups A and B are subsets of `active`.
    private func targetGroup(_ n: Int) -> JSONValue {
        guard let suppression else { return .int(n) }
        return shown(suppression.show(total: report.participants.active, subset: n).subset)
    }

    public var json: JSONValue {
        let r = report
        let p = r.participants
        let sexes = sexParts
        let tracks: [JSONValue] = r.tracks.map { t in
            var members: [(String, JSONValue)] = [("code", .string(t.code))]
            for kind in TrackEventKind.allCases { members.append((kind.rawValue, count(t.count(kind)))) }
            members += [
                ("acceptanceShare", share(t.acceptance)),
                ("completionShare", share(t.completion)),
                ("outcomeShare", share(t.outcome)),
            ]
            if let g = t.genderGoal {
                let s = suppression.map { $0.show(g.ratio) } ?? g.ratio.share
                members.append(
                    (
                        "genderGoal",
                        .object([
                            ("sex", .string(g.sex.rawValue)), ("target", .double(g.target)),
                            ("share", s.map(JSONValue.double) ?? .null),
                            ("met", s.map { .bool($0 >= g.target) } ?? .null),
                        ])
                    ))
            } else {
                members.append(("genderGoal", .null))
            }
            members.append(("name", .string(t.name)))
            return .object(members)
        }
        let e = r.establishment
        let hideKM = establishmentHidden
        let measured = measurableParts
        var document: [(String, JSONValue)] = [
            ("agreement", .string(r.agreement)), ("year", .int(r.year)), ("asOf", .string(r.asOf.description)),
            (
                "participants",
                .object([
                    ("active", count(p.active)), ("female", shown(sexes[0])), ("male", shown(sexes[1])),
                    ("targetGroupA", targetGroup(p.targetGroupA)), ("targetGroupB", targetGroup(p.targetGroupB)),
                ])
            ),
            ("recruitmentShare", share(r.recruitment)),
            ("tracks", .array(tracks)),
            (
                "establishment",
                .object([
                    ("population", count(e.population)), ("measurable", shown(measured.total)),
                    ("establishedWithinGoal", shown(measured.subset)),
                    ("shareWithinGoal", share(e.within)),
                    ("kmShareWithinGoal", hideKM ? .null : e.kmShareWithinGoal.map(JSONValue.double) ?? .null),
                    ("kmMedianDays", hideKM ? .null : e.kmMedianDays.map(JSONValue.int) ?? .null),
                    ("goalDays", .int(e.goalDays)),
                ])
            ),
        ]
        let municipalities = municipalityParts
        document.append(
            (
                "municipalities",
                .array(
                    zip(r.municipalities, municipalities).map { m, shownActive in
                        .object([("code", .string(m.code.description)), ("name", .string(m.code.name)), ("active", shown(shownActive))])
                    })
            ))
        document.append(("suppressed", .bool(suppression != nil)))
        if let agreementVersion { document.append(("agreementVersion", .int(agreementVersion))) }
        if let followUp { document.append(("followUp", followUp.json(suppression: suppression, overallGoalHidden: overallGoalHidden))) }
        return .object(document)
    }

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

    // MARK: HTML

    /// A standalone page, Swedish first with English in smaller type.
    public func html(agreementTitle: String) -> String {
        let r = report
        guard case .object(let doc) = json else { return "" }
        func member(_ object: [(String, JSONValue)], _ key: String) -> JSONValue {
            object.first { $0.0 == key }?.1 ?? .null
        }
        func text(_ v: JSONValue, percent: Bool = false) -> String {
            switch v {
            case .null: return "–"
            case .int(let n): return String(n)
            case .double(let d):
                if percent { return (String(format1(d * 100)) + "\u{00A0}%").replacing(".", with: ",") }
                return String(d).replacing(".", with: ",")
            case .string(let s): return escapeHTML(s)
            case .bool(let b): return b ? "Ja <span lang=\"en\">(yes)</span>" : "Nej <span lang=\"en\">(no)</span>"
            default: return ""
            }
        }
        func label(_ sv: String, _ en: String) -> String { "\(sv) <span class=\"en\" lang=\"en\">\(en)</span>" }
        guard case .object(let participants) = member(doc, "participants"),
            case .object(let establishment) = member(doc, "establishment"),
            case .array(let tracks) = member(doc, "tracks")
        else { return "" }

        var h = """
            <!DOCTYPE html>
            <html lang="sv">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Uppföljning \(r.year) – \(escapeHTML(agreementTitle))</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1a1a1a;line-height:1.5}
            table{border-collapse:collapse;margin:1rem 0 2rem;width:100%}
            th,td{border:1px solid #999;padding:.35rem .6rem;text-align:left}
            td.n{text-align:right;font-variant-numeric:tabular-nums}
            caption{text-align:left;font-weight:600;padding:.3rem 0}
            .en{color:#555;font-size:.85em}
            </style>
            </head>
            <body>
            <main>
            <h1>Uppföljning \(r.year) <span class="en" lang="en">Follow-up report</span></h1>
            <p>\(escapeHTML(agreementTitle)) (<code>\(escapeHTML(r.agreement))</code>). Per \(r.asOf) <span class="en" lang="en">as of \(r.asOf)</span>.\(suppression != nil ? " Små tal (1–\(suppression!.threshold - 1)) visas som &lt;\(suppression!.threshold), och .. betyder att talet döljs för att ett annat litet tal inte ska kunna räknas fram. <span class=\"en\" lang=\"en\">Small counts are suppressed; .. hides a count that would reveal another.</span>" : "")</p>

            """
        h += "<table>\n<caption>\(label("Deltagare", "Participants"))</caption>\n<tbody>\n"
        let participantRows: [(String, String, String)] = [
            ("active", "Aktiva", "Active"), ("female", "Kvinnor", "Women"), ("male", "Män", "Men"),
            ("targetGroupA", "Målgrupp A", "Target group A"), ("targetGroupB", "Målgrupp B", "Target group B"),
        ]
        for (key, sv, en) in participantRows {
            h += "<tr><th scope=\"row\">\(label(sv, en))</th><td class=\"n\">\(text(member(participants, key)))</td></tr>\n"
        }
        h +=
            "<tr><th scope=\"row\">\(label("Andel på rekryteringsträff (delmål 1)", "Recruitment share"))</th><td class=\"n\">\(text(member(doc, "recruitmentShare"), percent: true))</td></tr>\n"
        h += "</tbody>\n</table>\n"

        // One column per track, one row per figure: four tracks fit a page, ten figures would not.
        let trackObjects: [[(String, JSONValue)]] = tracks.compactMap { if case .object(let t) = $0 { t } else { nil } }
        h += "<table>\n<caption>\(label("Spår", "Tracks"))</caption>\n<thead><tr><th scope=\"col\">\(label("Mått", "Figure"))</th>"
        for t in trackObjects { h += "<th scope=\"col\">\(text(member(t, "name")))</th>" }
        h += "</tr></thead>\n<tbody>\n"
        let rows: [(String, String, String, Bool)] = [
            ("invited", "Inbjudna till rekryteringsträff", "Invited", false), ("attended", "Deltog i rekryteringsträff", "Attended", false),
            ("accepted", "Tackade ja", "Accepted", false), ("declined", "Tackade nej", "Declined", false),
            ("started", "Började", "Started", false), ("completed", "Fullföljde", "Completed", false),
            ("discontinued", "Avbröt", "Discontinued", false),
            ("acceptanceShare", "Andel som tackade ja (delmål 2)", "Acceptance share", true),
            ("completionShare", "Andel som fullföljde (delmål 3)", "Completion share", true),
            ("outcomeShare", "Andel i arbete eller studier 90 dagar efter (delmål 4)", "Outcome share", true),
        ]
        for (key, sv, en, percent) in rows {
            h += "<tr><th scope=\"row\">\(label(sv, en))</th>"
            for t in trackObjects { h += "<td class=\"n\">\(text(member(t, key), percent: percent))</td>" }
            h += "</tr>\n"
        }
        h += "<tr><th scope=\"row\">\(label("Jämställdhetsmål", "Gender goal"))</th>"
        for t in trackObjects {
            if case .object(let g) = member(t, "genderGoal") {
                let sex = member(g, "sex") == .string("male") ? "män" : "kvinnor"
                var goal = "minst \(text(member(g, "target"), percent: true)) \(sex): \(text(member(g, "share"), percent: true))"
                if case .bool(let met) = member(g, "met") { goal += met ? " – uppfyllt" : " – ej uppfyllt" }
                h += "<td>\(goal)</td>"
            } else {
                h += "<td>–</td>"
            }
        }
        h += "</tr>\n</tbody>\n</table>\n\n"

        h += "<table>\n<caption>\(label("Etablering (övergripande mål)", "Establishment (overall goal)"))</caption>\n<tbody>\n"
        let establishmentRows: [(String, String, String, Bool)] = [
            ("population", "I målgrupp A", "In target group A", false),
            ("measurable", "Mätbara", "Measurable", false),
            ("establishedWithinGoal", "Etablerade inom målet", "Established within goal", false),
            ("shareWithinGoal", "Andel inom målet", "Share within goal", true),
            ("kmShareWithinGoal", "Andel inom målet (Kaplan–Meier)", "Share within goal (Kaplan–Meier)", true),
            ("kmMedianDays", "Mediantid i dagar (Kaplan–Meier)", "Median days (Kaplan–Meier)", false),
        ]
        for (key, sv, en, percent) in establishmentRows {
            h += "<tr><th scope=\"row\">\(label(sv, en))</th><td class=\"n\">\(text(member(establishment, key), percent: percent))</td></tr>\n"
        }
        h += "</tbody>\n</table>\n"
        if case .object(let f) = member(doc, "followUp") { h += followUpHTML(f, text: { text($0, percent: $1) }, label: label) }
        h += "</main>\n</body>\n</html>\n"
        return h
    }
}

extension ReportDocument {
    /// The follow-up's sections of the report page (issue 9, part 7), from its JSON so the
    /// page shows exactly what a publication holds.
    func followUpHTML(_ f: [(String, JSONValue)], text: (JSONValue, Bool) -> String, label: (String, String) -> String) -> String {
        func member(_ object: [(String, JSONValue)], _ key: String) -> JSONValue { object.first { $0.0 == key }?.1 ?? .null }
        func str(_ v: JSONValue) -> String? { if case .string(let s) = v { s } else { nil } }
        func verdict(_ v: JSONValue) -> String {
            switch v {
            case .bool(true): "Uppfyllt <span class=\"en\" lang=\"en\">(met)</span>"
            case .bool(false): "Ej uppfyllt <span class=\"en\" lang=\"en\">(not met)</span>"
            default: "Kan inte bedömas <span class=\"en\" lang=\"en\">(not measurable)</span>"
            }
        }
        func kronor(_ v: JSONValue) -> String {
            guard case .int(let n) = v else { return "–" }
            return NumberFormatting.grouped(n) + "\u{00A0}kr"
        }
        let goalNames: [String: (String, String)] = [
            "recruitment": ("Andel på rekryteringsträff (delmål 1)", "Recruitment share"),
            "acceptance": ("Andel som tackade ja (delmål 2)", "Acceptance share"),
            "completion": ("Andel som fullföljde (delmål 3)", "Completion share"), "outcome": ("Andel i arbete eller studier (delmål 4)", "Outcome share"),
        ]
        let partyNames = followUp?.partyNames ?? [:]
        let trackNames = Dictionary(report.tracks.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        var h = "<h2>\(label("Målen", "The goals"))</h2>\n<table>\n<caption>\(label("Målen mot målvärdena", "Goals against their targets"))</caption>\n"
        h +=
            "<thead><tr><th scope=\"col\">\(label("Mål", "Goal"))</th><th scope=\"col\">\(label("Utfall", "Result"))</th><th scope=\"col\">\(label("Målvärde", "Target"))</th><th scope=\"col\">\(label("Bedömning", "Verdict"))</th></tr></thead>\n<tbody>\n"
        h +=
            "<tr><th scope=\"row\">\(label("Övergripande mål: etableringstid högst \(report.establishment.goalDays) dagar (median)", "Overall goal"))</th><td class=\"n\">–</td><td>≤ \(report.establishment.goalDays)</td><td>\(verdict(member(f, "overallGoalMet")))</td></tr>\n"
        if case .array(let targets) = member(f, "subGoals") {
            for case .object(let t) in targets {
                let names = goalNames[str(member(t, "goal")) ?? ""] ?? ("", "")
                let track = str(member(t, "track")).map { " – " + escapeHTML(trackNames[$0] ?? $0) } ?? ""
                h +=
                    "<tr><th scope=\"row\">\(label(names.0, names.1))\(track)</th><td class=\"n\">\(text(member(t, "share"), true))</td><td>≥ \(text(member(t, "target"), true))</td><td>\(verdict(member(t, "met")))</td></tr>\n"
            }
        }
        h += "</tbody>\n</table>\n"
        h += "<h2>\(label("Insatsvolym", "Activity volume"))</h2>\n"
        if case .array(let volumes) = member(f, "activities"), !volumes.isEmpty {
            h += "<table>\n<caption>\(label("Timmar per insatstyp under året (kommunernas registreringar)", "Hours by activity type"))</caption>\n"
            h +=
                "<thead><tr><th scope=\"col\">\(label("Insats", "Activity"))</th><th scope=\"col\">\(label("Deltagare", "Participants"))</th><th scope=\"col\">\(label("Timmar", "Hours"))</th></tr></thead>\n<tbody>\n"
            for case .object(let v) in volumes {
                let kind = str(member(v, "kind")) ?? ""
                h +=
                    "<tr><th scope=\"row\">\(escapeHTML(ActivityKindName.swedish[kind] ?? kind))</th><td class=\"n\">\(text(member(v, "participants"), false))</td><td class=\"n\">\(text(member(v, "hours"), false))</td></tr>\n"
            }
            h += "</tbody>\n</table>\n"
        } else {
            h += "<p>Inga insatser registrerade under året. <span class=\"en\" lang=\"en\">No activities in the year.</span></p>\n"
        }
        h += "<h2>\(label("Kostnader", "Costs"))</h2>\n"
        if case .object(let costs) = member(f, "costs"), case .array(let lines) = member(costs, "lines"), !lines.isEmpty {
            h += "<table>\n<caption>\(label("Planerat mot förbrukat \(report.year)", "Planned against spent"))</caption>\n"
            h +=
                "<thead><tr><th scope=\"col\">\(label("Spår", "Track"))</th><th scope=\"col\">\(label("Part", "Party"))</th><th scope=\"col\">\(label("Finansiering", "Funding"))</th><th scope=\"col\">\(label("Planerat", "Planned"))</th><th scope=\"col\">\(label("Förbrukat", "Spent"))</th></tr></thead>\n<tbody>\n"
            for case .object(let c) in lines {
                let track = str(member(c, "track")).map { escapeHTML(trackNames[$0] ?? $0) } ?? "Gemensamt"
                h +=
                    "<tr><th scope=\"row\">\(track)</th><td>\(escapeHTML(partyNames[str(member(c, "orgNumber")) ?? ""] ?? str(member(c, "orgNumber")) ?? ""))</td><td>\(escapeHTML(FundingSourceName.swedish[str(member(c, "source")) ?? ""] ?? ""))</td><td class=\"n\">\(kronor(member(c, "planned")))</td><td class=\"n\">\(kronor(member(c, "spent")))</td></tr>\n"
            }
            h +=
                "<tr><th scope=\"row\" colspan=\"3\">\(label("Summa", "Total"))</th><td class=\"n\">\(kronor(member(costs, "planned")))</td><td class=\"n\">\(kronor(member(costs, "spent")))</td></tr>\n"
            h += "</tbody>\n</table>\n"
        } else {
            h += "<p>Inga kostnadsrader för året. <span class=\"en\" lang=\"en\">No cost lines for the year.</span></p>\n"
        }
        return h
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

enum NumberFormatting {
    /// 1 234 567 with no-break spaces (Swedish grouping).
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "\u{00A0}" }
            out.append(c)
        }
        return (n < 0 ? "\u{2212}" : "") + out
    }
}

private func format1(_ d: Double) -> String {
    let scaled = (d * 10).rounded() / 10
    return scaled == scaled.rounded() ? String(Int(scaled)) : String(scaled)
}

func escapeHTML(_ s: String) -> String {
    var out = ""
    for c in s {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        default: out.append(c)
        }
    }
    return out
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
