import Foundation
import HTTPTypes
import Hummingbird
import SamsparDomain
import SamsparStore
import SamsparWire

/// One participant as a list shows them, with what the lists filter and sort on. Built from
/// what the reader may see (``Rows/caseload(viewer:on:in:)``) and the domain's rules.
struct CaseRow: Sendable {
    var view: ParticipantView
    var name: String
    var municipality: Kommunkod
    var tracks: [String]
    var latestTrack: String?
    var inA: Bool
    var inB: Bool
    var status: Outcome
    var attention: [Attention.Item]
    /// Whether the reader's organisation registered the person itself (its own caseload).
    var own: Bool

    /// Where the row goes among rows otherwise equal, and in identity-number order: a person
    /// whose identity is hidden (SPEC §2) after everyone else, by their reference, so that
    /// their place in a list never tells their number.
    var sortID: String { view.identityHidden ? "~" + (view.ownProtectedRef ?? "") : view.person.description }

    /// The row's link: the participant's page by identity number, or, for a protected person
    /// whose identity is hidden, by the organisation's reference.
    var href: String {
        if view.identityHidden, let ref = view.ownProtectedRef { return SiteURL.protectedParticipant(ref).path }
        return SiteURL.participant(view.person.description).path
    }

    /// The identity number as a list shows it: "Skyddad identitet" when it is hidden.
    func person(_ r: PageRequest) -> String { view.identityHidden ? r.t("protected.label") : view.person.description }

    static func build(_ views: [ParticipantView], viewer: Organisationsnummer, agreements: [Agreement], today: Day) -> [CaseRow] {
        var groupsByMunicipality: [Kommunkod: Agreement] = [:]
        for a in agreements { for m in a.municipalities where groupsByMunicipality[m] == nil { groupsByMunicipality[m] = a } }
        return views.map { v in
            let m = v.merged
            let agreement = groupsByMunicipality[m.municipality]
            let groups = agreement?.targetGroups ?? Agreement.TargetGroups()
            let events = v.events.map(\.value)
            let input = Attention.Input(
                firstPermitDate: m.firstPermitDate, registeredOn: m.registeredOn, exitedOn: m.exitedOn,
                eventDays: events.map { ($0.kind, $0.date) }, statuses: v.statuses.map { ($0.value.status, $0.value.date) },
                activities: v.activities.map { ($0.value.start, $0.value.end) },
                consents: v.consents.filter { $0.recordedBy == viewer })
            let name = [m.givenName, m.familyName].compactMap { $0 }.joined(separator: " ")
            return CaseRow(
                view: v, name: name, municipality: m.municipality, tracks: Array(Set(events.map(\.track))).sorted(),
                latestTrack: events.max { $0.date < $1.date }?.track,
                inA: groups.inA(firstPermit: m.firstPermitDate, from: today, through: today),
                inB: groups.inB(birth: v.person.birthDate, upperSecondaryCompleted: m.upperSecondaryCompleted, from: today, through: today),
                status: v.statuses.map(\.value).filter { $0.date <= today }.max { $0.date < $1.date }?.status ?? .none,
                attention: Attention.reasons(
                    input, today: today, targetGroupAMonths: groups.monthsSinceFirstPermit, goalDays: agreement?.maxEstablishmentDays ?? 730),
                own: v.registrations.contains { $0.party == viewer })
        }
    }
}

enum ParticipantPages {
    // MARK: The list

    struct Filters: Sendable {
        var q = ""
        var municipality = ""
        var track = ""
        var group = ""
        var status = ""
        var attention = false
        var sort = "personnummer"
        var page = 1

        init(_ query: [String: String]) {
            q = query["q"] ?? ""
            municipality = query["kommun"] ?? ""
            track = query["spar"] ?? ""
            group = query["malgrupp"] ?? ""
            status = query["status"] ?? ""
            attention = query["behover"] == "1"
            sort = query["sortera"] ?? "personnummer"
            page = max(1, Int(query["sida"] ?? "1") ?? 1)
        }

        var query: [(String, String)] {
            var q: [(String, String)] = []
            if !self.q.isEmpty { q.append(("q", self.q)) }
            if !municipality.isEmpty { q.append(("kommun", municipality)) }
            if !track.isEmpty { q.append(("spar", track)) }
            if !group.isEmpty { q.append(("malgrupp", group)) }
            if !status.isEmpty { q.append(("status", status)) }
            if attention { q.append(("behover", "1")) }
            if sort != "personnummer" { q.append(("sortera", sort)) }
            return q
        }
    }

    struct Row: Sendable {
        var href: String
        var person: String
        var name: String
        var municipality: String
        var track: String
        var groups: String
        var status: String
        var attention: String
    }

    struct ListModel: Sendable {
        var filters: Filters
        var municipalities: [Option]
        var tracks: [Option]
        var groups: [Option]
        var statuses: [Option]
        var sorts: [Option]
        var rows: [Row]
        var total: String
        var pageText: String
        var previous: String?
        var next: String?
        var csv: String
        var xlsx: String
        var action = SiteURL.participants.path
    }

    static func query(_ r: PageRequest) -> [String: String] {
        var q: [String: String] = [:]
        for (k, v) in r.request.uri.queryParameters { q[String(k)] = String(v) }
        return q
    }

    /// The rows the filters select, sorted; the search is the API's (identity number exact, or
    /// a part of a name), on what the reader may see.
    static func filtered(_ r: PageRequest, _ caller: Caller, _ f: Filters) async throws -> (rows: [CaseRow], agreements: [Agreement]) {
        let (views, agreements) = try await ParticipantOperations.caseload(caller, r.services)
        guard let viewer = caller.organisation else { return ([], agreements) }
        var rows = CaseRow.build(views, viewer: viewer, agreements: agreements, today: r.today)
        let q = f.q.trimmingCharacters(in: .whitespaces)
        if !q.isEmpty {
            if let person = try? Personnummer(q, currentYear: r.today.year) {
                // Whoever typed the number knows it: a hidden person is found by it, and still
                // shown without name or number.
                rows = rows.filter { $0.view.person == person }
            } else {
                let needle = q.lowercased()
                rows = rows.filter { $0.name.lowercased().contains(needle) }
            }
        }
        if let code = try? Kommunkod(f.municipality) { rows = rows.filter { $0.municipality == code } }
        if !f.track.isEmpty { rows = rows.filter { $0.tracks.contains(f.track) } }
        if f.group == "A" { rows = rows.filter(\.inA) }
        if f.group == "B" { rows = rows.filter(\.inB) }
        if let status = Outcome(rawValue: f.status) { rows = rows.filter { $0.status == status } }
        if f.attention { rows = rows.filter { !$0.attention.isEmpty } }
        switch f.sort {
        case "namn": rows.sort { ($0.name.lowercased(), $0.sortID) < ($1.name.lowercased(), $1.sortID) }
        case "kommun": rows.sort { ($0.municipality.name, $0.sortID) < ($1.municipality.name, $1.sortID) }
        case "registrerad": rows.sort { ($0.view.merged.registeredOn, $0.sortID) > ($1.view.merged.registeredOn, $1.sortID) }
        default: rows.sort { $0.sortID < $1.sortID }
        }
        return (rows, agreements)
    }

    static func row(_ c: CaseRow, _ r: PageRequest) -> Row {
        Row(
            href: c.href, person: c.person(r), name: c.name.isEmpty ? "–" : c.name,
            municipality: c.municipality.name, track: c.latestTrack ?? "–",
            groups: [c.inA ? "A" : nil, c.inB ? "B" : nil].compactMap { $0 }.joined(separator: ", "),
            status: r.t("status." + c.status.rawValue), attention: c.attention.map { r.t("attention." + $0.reason.rawValue) }.joined(separator: "; "))
    }

    static let pageSize = 25

    static func list(_ r: PageRequest) async throws -> Response {
        let caller = try ParticipantOperations.Act.search.authorize(r.principal, on: r.channel)
        let f = Filters(query(r))
        let (rows, agreements) = try await filtered(r, caller, f)
        let pages = max(1, (rows.count + pageSize - 1) / pageSize)
        let page = min(f.page, pages)
        let shown = Array(rows.dropFirst((page - 1) * pageSize).prefix(pageSize))
        try await ParticipantOperations.listed(shown.map { ($0.view.person, $0.view.parties) }, action: "search", caller, r.services)
        let municipalities = Set(rows.map(\.municipality)).union(agreements.flatMap(\.municipalities)).subtracting([.withheld]).sorted {
            $0.name < $1.name
        }
        let tracks = Set(agreements.flatMap { $0.tracks.map { ($0.code) } }).sorted()
        func pageLink(_ n: Int) -> String { SiteURL.participants.with(f.query + [("sida", String(n))]) }
        let model = ListModel(
            filters: f,
            municipalities: [Option(value: "", label: r.t("filter.all"), selected: f.municipality.isEmpty)]
                + municipalities.map { Option(value: $0.description, label: $0.name, selected: f.municipality == $0.description) },
            tracks: [Option(value: "", label: r.t("filter.all"), selected: f.track.isEmpty)]
                + tracks.map { Option(value: $0, label: $0, selected: f.track == $0) },
            groups: [("", r.t("filter.all")), ("A", r.t("group.A")), ("B", r.t("group.B"))].map { Option(value: $0.0, label: $0.1, selected: f.group == $0.0) },
            statuses: [Option(value: "", label: r.t("filter.all"), selected: f.status.isEmpty)]
                + Outcome.allCases.map { Option(value: $0.rawValue, label: r.t("status." + $0.rawValue), selected: f.status == $0.rawValue) },
            sorts: ["personnummer", "namn", "kommun", "registrerad"].map { Option(value: $0, label: r.t("sort." + $0), selected: f.sort == $0) },
            rows: shown.map { row($0, r) }, total: NumberText.integer(rows.count, r.language),
            pageText: String(format: r.t("list.page"), page, pages),
            previous: page > 1 ? pageLink(page - 1) : nil, next: page < pages ? pageLink(page + 1) : nil,
            csv: SiteURL.participantsExport("csv").with(f.query), xlsx: SiteURL.participantsExport("xlsx").with(f.query))
        return r.render("participants", title: r.t("list.title"), model, current: .participants)
    }

    /// The list as shown (every page of it) as CSV or XLSX: a read of each person in it,
    /// audited as one.
    static func export(_ r: PageRequest) async throws -> Response {
        let caller = try ParticipantOperations.Act.export.authorize(r.principal, on: r.channel)
        let format = try r.context.parameter(.format)
        guard format == "csv" || format == "xlsx" else { throw APIError.notFound() }
        // A protected person of the reader's own organisation is left out of every export
        // (SPEC §2): a file travels further than a page.
        let rows = try await filtered(r, caller, Filters(query(r))).rows.filter { ParticipantOperations.exported($0.view) }
        try await ParticipantOperations.listed(rows.map { ($0.view.person, $0.view.parties) }, action: "export", caller, r.services)
        let header = ["personnummer", "namn", "kommun", "spår", "målgrupp", "status", "behöver uppmärksamhet", "registrerad"].map { r.t("export." + $0) }
        let table: [[Cell]] = rows.map { c in
            let shown = row(c, r)
            return [
                .text(shown.person), .text(c.name), .text(shown.municipality), .text(shown.track), .text(shown.groups), .text(shown.status),
                .text(shown.attention), .date(c.view.merged.registeredOn),
            ]
        }
        return Export.response(name: "deltagare", format: format, header: header, rows: table)
    }

    // MARK: Registering

    static func registrationForm(_ r: PageRequest, values: [String: String], errors: [String: String]) -> FormModel {
        func field(_ name: String, required: Bool = false, type: String = "text", options: [Option]? = nil, inputmode: String? = nil) -> FieldModel {
            FieldModel(
                name: name, label: r.t("field." + name), hint: r.language.strings["hint." + name], value: values[name] ?? "", error: errors[name],
                required: required, type: type, options: options, inputmode: inputmode)
        }
        let municipalities = Kommunkod.all.sorted { $0.name < $1.name }
        return FormModel(
            action: SiteURL.newParticipant.path, heading: r.t("new.heading"), submit: r.t("new.submit"),
            fields: [
                {
                    var f = field("personId", required: true, inputmode: "numeric")
                    f.personCheck = true
                    return f
                }(),
                field("givenName"), field("familyName"),
                field(
                    "sex",
                    options: [("", r.t("sex.fromNumber")), ("female", r.t("sex.female")), ("male", r.t("sex.male"))].map {
                        Option(value: $0.0, label: $0.1, selected: (values["sex"] ?? "") == $0.0)
                    }),
                field(
                    "municipality", required: true,
                    options: [Option(value: "", label: r.t("choose"), selected: (values["municipality"] ?? "").isEmpty)]
                        + municipalities.map { Option(value: $0.description, label: "\($0.name) (\($0))", selected: values["municipality"] == $0.description) }),
                field("firstPermitDate", required: true), field("registeredOn", required: true),
                field(
                    "upperSecondaryCompleted",
                    options: [("no", r.t("no")), ("yes", r.t("yes"))].map {
                        Option(value: $0.0, label: $0.1, selected: (values["upperSecondaryCompleted"] ?? "no") == $0.0)
                    }),
                // Only `no` removes a mark (SPEC §2): the first choice leaves it as it is.
                field(
                    "protected",
                    options: [("", r.t("protected.unchanged")), ("yes", r.t("yes")), ("no", r.t("no"))].map {
                        Option(value: $0.0, label: $0.1, selected: (values["protected"] ?? "") == $0.0)
                    }),
            ], summary: errors.isEmpty ? nil : r.t("form.errors"), id: "register")
    }

    static func newForm(_ r: PageRequest) async throws -> Response {
        _ = try ParticipantOperations.Act.register.authorize(r.principal, on: r.channel)
        let form = registrationForm(r, values: ["registeredOn": r.today.description], errors: [:])
        return r.render("form-page", title: r.t("new.heading"), FormPage(form: form, intro: r.t("new.intro"), back: nil), current: .newParticipant)
    }

    /// The API's writer with the form's fields as its JSON body: the same validation, the same
    /// access rule, the same audit entry.
    static func write(_ kind: ImportKind, _ r: PageRequest, _ caller: Caller, person: Personnummer?, fields: [String: Any], action: String) async throws
        -> [String: String]?
    {
        let body = Array((try? JSONSerialization.data(withJSONObject: fields)) ?? Data())
        do {
            _ = try await ParticipantOperations.write(kind, body: body, person: person, action: action, caller, r.services)
            return nil
        } catch let error as APIError where error.status == .unprocessableContent {
            try await AuditOperations.recordRefusal(error, principal: caller.principal, r.services)
            var errors: [String: String] = [:]
            for p in error.problems where errors[p.column] == nil { errors[p.column] = Klarsprak.reason(p.reason, r.language, column: p.column) }
            if errors.isEmpty { errors["_"] = error.message }
            return errors
        }
    }

    static func register(_ r: PageRequest, _ form: FormData) async throws -> Response {
        let caller = try ParticipantOperations.Act.register.authorize(r.principal, on: r.channel)
        var values = form.fields
        values["_csrf"] = nil
        var errors: [String: String] = [:]
        var person: Personnummer?
        if let text = form["personId"] {
            do { person = try Personnummer(text, currentYear: r.today.year) } catch {
                errors["personId"] = Klarsprak.reason(String(describing: error), r.language)
            }
        } else {
            errors["personId"] = Klarsprak.reason("is required", r.language)
        }
        if errors.isEmpty, let person {
            var fields: [String: Any] = ["personId": person.description]
            for key in ["givenName", "familyName", "sex", "municipality", "firstPermitDate", "registeredOn"] { if let v = form[key] { fields[key] = v } }
            fields["upperSecondaryCompleted"] = form["upperSecondaryCompleted"] == "yes"
            if let mark = form["protected"], !mark.isEmpty { fields["protected"] = mark }
            if let problems = try await write(.participants, r, caller, person: nil, fields: fields, action: "create") {
                errors = problems
            } else {
                return .redirect(SiteURL.participant(person.description).with([("sparat", "registrering")]))
            }
        }
        let model = registrationForm(r, values: values, errors: errors)
        return r.render(
            "form-page", title: r.t("new.heading"), FormPage(form: model, intro: r.t("new.intro"), back: nil), current: .newParticipant,
            status: .unprocessableContent)
    }

    /// "As you go": the browser asks the server's own rule (one rule, not a copy in script).
    static func check(_ r: PageRequest) throws -> Response {
        _ = try ParticipantOperations.Act.register.authorize(r.principal, on: r.channel)
        let text = r.request.uri.queryParameters.get("personnummer").map { String($0) } ?? ""
        let message: String
        var valid = false
        do {
            let p = try Personnummer(text, currentYear: r.today.year)
            valid = true
            message = String(format: r.t("check.valid"), p.description)
        } catch {
            message = Klarsprak.reason(String(describing: error), r.language)
        }
        return JSONResponse.make(.object([("valid", .bool(valid)), ("message", .string(message))]))
    }
}
