import Foundation

/// One problem in an agreement document, with its JSON path.
public struct AgreementProblem: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}

/// An agreement document was rejected; every problem is listed.
public struct AgreementError: Error, Sendable, CustomStringConvertible {
    public var problems: [AgreementProblem]
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

extension Agreement {
    /// Validates an agreement document (SPEC §4): organisation numbers, kommunkoder,
    /// unique track codes, goal shares in (0, 1], dates; and, once signed, the five model
    /// parts and at least three tracks (SPEC §2).
    /// Where the first byte that is not UTF-8 is (line and column in bytes, from 1), or nil.
    static func firstNonUTF8(_ data: Data) -> (line: Int, column: Int)? {
        guard String(validating: data, as: UTF8.self) == nil else { return nil }
        var (line, column) = (1, 1)
        var decoder = Unicode.UTF8.ForwardParser()
        var iterator = data.makeIterator()
        while true {
            switch decoder.parseScalar(from: &iterator) {
            case .valid(let scalar):
                if scalar.count == 1 && scalar.first == 10 { (line, column) = (line + 1, 1) } else { column += scalar.count }
            case .error: return (line, column)
            case .emptyInput: return (line, column)
            }
        }
    }

    public static func parse(json data: Data) throws(AgreementError) -> Agreement {
        // JSON is UTF-8 (RFC 8259). Found by fuzzing (issue 21): Foundation's decoder let an
        // invalid byte through while the check for misspelt keys could not read the document,
        // so a misspelt key was accepted in silence.
        if let (line, column) = Self.firstNonUTF8(data) {
            throw AgreementError(problems: [.init(path: "$", reason: "line \(line), column \(column): the document is not UTF-8 text")])
        }
        // Found by fuzzing too: a raw control character in a string, or a key written twice,
        // is read one way by the decoder and another (or not at all) by the check for
        // misspelt keys (``StrictJSON``).
        if let problem = StrictJSON.firstProblem([UInt8](data)) {
            throw AgreementError(problems: [.init(path: "$", reason: "line \(problem.line), column \(problem.column): \(problem.reason)")])
        }
        let dto: AgreementDTO
        do {
            dto = try JSONDecoder().decode(AgreementDTO.self, from: data)
        } catch let error as DecodingError {
            throw AgreementError(problems: [AgreementProblem(decoding: error)])
        } catch {
            throw AgreementError(problems: [.init(path: "$", reason: "not a JSON document: \(error)")])
        }
        var problems: [AgreementProblem] = AgreementDTO.unknownKeys(in: data)
        func note(_ path: String, _ reason: String) { problems.append(.init(path: path, reason: reason)) }
        func day(_ path: String, _ text: String?) -> Day? {
            guard let text else { return nil }
            do { return try Day(plausibleISO: text) } catch {
                note(path, error.description)
                return nil
            }
        }

        let idOK = !dto.id.isEmpty && dto.id.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }
        if !idOK { note("id", "'\(dto.id)' is not a slug (lower-case letters, digits and '-')") }
        if dto.title.trimmingCharacters(in: .whitespaces).isEmpty { note("title", "is empty") }
        let validFrom = day("validFrom", dto.validFrom)
        // Every number is bounded, so no agreement can make the date arithmetic of a report trap.
        func bounded(_ path: String, _ value: Int?, _ range: ClosedRange<Int>, default fallback: Int) -> Int {
            guard let value else { return fallback }
            guard range.contains(value) else {
                note(path, "\(value) is outside \(range.lowerBound)–\(range.upperBound)")
                return fallback
            }
            return value
        }
        let periodMonths = bounded("periodMonths", dto.periodMonths, Bounds.months, default: 12)
        let nextRevision = day("nextRevision", dto.nextRevision)
        let maxDays = bounded("overallGoal.maxEstablishmentDays", dto.overallGoal?.maxEstablishmentDays, Bounds.days, default: 730)

        var groups = TargetGroups()
        groups.monthsSinceFirstPermit = bounded(
            "targetGroups.a.monthsSinceFirstPermit", dto.targetGroups?.a?.monthsSinceFirstPermit, Bounds.months, default: 36)
        if let b = dto.targetGroups?.b {
            groups.minAge = bounded("targetGroups.b.minAge", b.minAge, Bounds.ages, default: 16)
            groups.maxAge = bounded("targetGroups.b.maxAge", b.maxAge, Bounds.ages, default: 24)
            if groups.maxAge < groups.minAge { note("targetGroups.b", "ages must satisfy minAge ≤ maxAge") }
        }

        var parties: [Party] = []
        var seenOrgs = Set<Organisationsnummer>()
        if dto.parties.isEmpty { note("parties", "an agreement needs its parties") }
        for (i, p) in dto.parties.enumerated() {
            let path = "parties[\(i)]"
            var org: Organisationsnummer?
            do { org = try Organisationsnummer(p.orgNumber) } catch { note("\(path).orgNumber", "'\(p.orgNumber)': \(error.description)") }
            guard let kind = OrganisationKind(rawValue: p.kind) else {
                note("\(path).kind", "'\(p.kind)' is not one of \(OrganisationKind.allCases.map(\.rawValue).joined(separator: ", "))")
                continue
            }
            var code: Kommunkod?
            if let c = p.municipalityCode {
                do { code = try Kommunkod(c) } catch { note("\(path).municipalityCode", error.description) }
            } else if kind == .municipality {
                note("\(path).municipalityCode", "a municipality needs its kommunkod")
            }
            if let org {
                if !seenOrgs.insert(org).inserted { note("\(path).orgNumber", "\(org) is a party twice") }
                parties.append(Party(orgNumber: org, name: p.name, kind: kind, municipalityCode: code, signatory: p.signatory, title: p.title))
            }
        }

        var tracks: [Track] = []
        var seenCodes = Set<String>()
        for (i, t) in dto.tracks.enumerated() {
            let path = "tracks[\(i)]"
            let codeOK = !t.code.isEmpty && t.code.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }
            if !codeOK { note("\(path).code", "'\(t.code)' is not a track code (lower-case letters, digits, '-' and '_')") }
            if !seenCodes.insert(t.code).inserted { note("\(path).code", "track code '\(t.code)' is used twice") }
            guard let kind = TrackKind(rawValue: t.kind) else {
                note("\(path).kind", "'\(t.kind)' is not one of vocational, education, other")
                continue
            }
            var codes: [SSYKCode] = []
            for (j, s) in (t.ssyk ?? []).enumerated() {
                do { codes.append(try SSYKCode(s)) } catch { note("\(path).ssyk[\(j)]", error.description) }
            }
            var goal: GenderGoal?
            if let g = t.genderGoal {
                if let sex = Sex(rawValue: g.sex) {
                    if !(g.minShare > 0 && g.minShare <= 1) {
                        note("\(path).genderGoal.minShare", "\(g.minShare) is not a share in (0, 1]")
                    } else {
                        goal = GenderGoal(sex: sex, minShare: g.minShare)
                    }
                } else {
                    note("\(path).genderGoal.sex", "'\(g.sex)' is not female or male")
                }
            }
            var responsible: Organisationsnummer?
            if let r = t.responsible {
                do { responsible = try Organisationsnummer(r) } catch { note("\(path).responsible", "'\(r)': \(error.description)") }
                if let o = responsible, !seenOrgs.contains(o) { note("\(path).responsible", "\(o) is not a party to the agreement") }
            }
            tracks.append(Track(code: t.code, name: t.name, kind: kind, ssyk: codes, genderGoal: goal, responsible: responsible))
        }

        var signatures: [Signature] = []
        for (i, s) in (dto.signatures ?? []).enumerated() {
            let path = "signatures[\(i)]"
            var org: Organisationsnummer?
            do { org = try Organisationsnummer(s.orgNumber) } catch { note("\(path).orgNumber", "'\(s.orgNumber)': \(error.description)") }
            if let org, !seenOrgs.contains(org) { note("\(path).orgNumber", "\(org) is not a party to the agreement") }
            let date = day("\(path).date", s.date)
            if let org, let date {
                signatures.append(Signature(orgNumber: org, place: s.place, date: date, name: s.name, title: s.title))
            }
        }

        let modelParts = dto.modelParts ?? [:]
        var status: Status
        if let s = dto.status {
            if let parsed = Status(rawValue: s) {
                status = parsed
            } else {
                note("status", "'\(s)' is not one of draft, signed, active, expired")
                status = .draft
            }
        } else {
            status = signatures.isEmpty ? .draft : .signed
        }
        if status != .draft {
            for part in requiredModelParts where (modelParts[part] ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                note("modelParts.\(part)", "a signed agreement must describe this part of the local model")
            }
            if dto.tracks.count < 3 { note("tracks", "a signed agreement needs at least three local tracks, found \(dto.tracks.count)") }
        }

        var termination: Termination?
        if let t = dto.termination {
            var org: Organisationsnummer?
            do { org = try Organisationsnummer(t.orgNumber) } catch { note("termination.orgNumber", "'\(t.orgNumber)': \(error.description)") }
            if let org, !seenOrgs.contains(org) { note("termination.orgNumber", "\(org) is not a party to the agreement") }
            if let org, let date = day("termination.date", t.date) { termination = Termination(orgNumber: org, date: date) }
        }

        func party(_ path: String, _ text: String) -> Organisationsnummer? {
            do {
                let org = try Organisationsnummer(text)
                if !seenOrgs.contains(org) { note(path, "\(org) is not a party to the agreement") }
                return org
            } catch {
                note(path, "'\(text)': \(error.description)")
                return nil
            }
        }
        func text(_ path: String, _ value: String) -> String {
            if value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { note(path, "is empty") }
            return value
        }
        func kronor(_ path: String, _ value: Int?) -> Int? {
            guard let value else { return nil }
            if !Bounds.kronor.contains(value) { note(path, "\(value) kr is outside 0–\(Bounds.kronor.upperBound)") }
            return value
        }
        func share(_ path: String, _ value: Double?) -> Double? {
            guard let value else { return nil }
            guard value > 0 && value <= 1 else {
                note(path, "\(value) is not a share in (0, 1]")
                return nil
            }
            return value
        }

        var coordinator: Coordinator?
        if let c = dto.coordinator {
            coordinator = Coordinator(
                name: text("coordinator.name", c.name), title: c.title, orgNumber: c.orgNumber.flatMap { party("coordinator.orgNumber", $0) },
                email: c.email, phone: c.phone)
        }
        var decisions: [Decision] = []
        for (i, d) in (dto.decisions ?? []).enumerated() {
            let path = "decisions[\(i)]"
            let org = party("\(path).orgNumber", d.orgNumber)
            let date = day("\(path).date", d.date)
            let body = text("\(path).body", d.body)
            let what = text("\(path).decision", d.decision)
            if let org, let date { decisions.append(Decision(orgNumber: org, body: body, date: date, decision: what)) }
        }
        var grants: [Grant] = []
        for (i, g) in (dto.grants ?? []).enumerated() {
            let path = "grants[\(i)]"
            let org = party("\(path).orgNumber", g.orgNumber)
            if let b = g.basis, b < 0 || b > 10_000_000 { note("\(path).basis", "\(b) is not a count of people") }
            let purpose = text("\(path).purpose", g.purpose)
            let applied = kronor("\(path).applied", g.applied) ?? 0
            let granted = kronor("\(path).granted", g.granted)
            let decided = day("\(path).decisionDate", g.decisionDate)
            let due = day("\(path).reportDue", g.reportDue)
            let reported = day("\(path).reportedOn", g.reportedOn)
            if let org {
                grants.append(
                    Grant(
                        orgNumber: org, round: g.round, purpose: purpose, basis: g.basis, applied: applied, granted: granted, decisionDate: decided,
                        reportDue: due, reportedOn: reported))
            }
        }
        var perspectives: [String: String] = [:]
        for (key, value) in dto.perspectives ?? [:] { perspectives[key] = value }
        var costs: [CostLine] = []
        for (i, c) in (dto.costs ?? []).enumerated() {
            let path = "costs[\(i)]"
            let org = party("\(path).orgNumber", c.orgNumber)
            if let code = c.track, !seenCodes.contains(code) { note("\(path).track", "'\(code)' is not a track of the agreement") }
            if !(2000...2100).contains(c.year) { note("\(path).year", "\(c.year) is not a year 2000–2100") }
            let source = FundingSource(rawValue: c.source)
            if source == nil {
                note("\(path).source", "'\(c.source)' is not one of \(FundingSource.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let amount = kronor("\(path).amount", c.amount) ?? 0
            let spent = kronor("\(path).spent", c.spent)
            if let org, let source {
                costs.append(CostLine(track: c.track, orgNumber: org, year: c.year, amount: amount, source: source, spent: spent))
            }
        }
        let subGoals = SubGoalTargets(
            recruitment: share("subGoals.recruitment", dto.subGoals?.recruitment), acceptance: share("subGoals.acceptance", dto.subGoals?.acceptance),
            completion: share("subGoals.completion", dto.subGoals?.completion), outcome: share("subGoals.outcome", dto.subGoals?.outcome))

        // The parties' own words (issue 26): printed exactly as written, so never empty and
        // never longer than a page and a half.
        var texts = Texts()
        for (key, value) in (dto.texts ?? [:]).sorted(by: { $0.key < $1.key }) {
            let path = "texts.\(key)"
            if value.count > maxTextLength { note(path, "is \(value.count) characters; at most \(maxTextLength)") }
            texts[key] = text(path, value)
        }
        var timePlan: [Milestone] = []
        for (i, m) in (dto.timePlan ?? []).enumerated() {
            let path = "timePlan[\(i)]"
            let what = text("\(path).milestone", m.milestone)
            if what.count > maxTextLength { note("\(path).milestone", "is \(what.count) characters; at most \(maxTextLength)") }
            if let date = day("\(path).date", m.date) { timePlan.append(Milestone(date: date, milestone: what)) }
        }
        if timePlan.count > 100 { note("timePlan", "has \(timePlan.count) milestones; at most 100") }

        guard problems.isEmpty, let validFrom else { throw AgreementError(problems: problems) }
        var agreement = Agreement(
            id: dto.id, title: dto.title, area: dto.area, purpose: dto.purpose, validFrom: validFrom,
            periodMonths: periodMonths, nextRevision: nextRevision, maxEstablishmentDays: maxDays,
            targetGroups: groups, parties: parties, tracks: tracks, modelParts: modelParts,
            signatures: signatures, status: status)
        agreement.termination = termination
        agreement.coordinator = coordinator
        agreement.decisions = decisions
        agreement.grants = grants
        agreement.perspectives = perspectives
        agreement.costs = costs
        agreement.subGoals = subGoals
        agreement.texts = texts
        agreement.timePlan = timePlan
        return agreement
    }
}

extension AgreementProblem {
    init(decoding error: DecodingError) {
        func path(_ keys: [any CodingKey]) -> String {
            var s = ""
            for k in keys {
                if let i = k.intValue { s += "[\(i)]" } else { s += (s.isEmpty ? "" : ".") + k.stringValue }
            }
            return s.isEmpty ? "$" : s
        }
        switch error {
        case .keyNotFound(let key, let ctx):
            let base = path(ctx.codingPath)
            self.init(path: base == "$" ? key.stringValue : "\(base).\(key.stringValue)", reason: "is required")
        case .typeMismatch(let type, let ctx):
            self.init(path: path(ctx.codingPath), reason: "expected \(type)")
        case .valueNotFound(let type, let ctx):
            self.init(path: path(ctx.codingPath), reason: "expected \(type), found null")
        case .dataCorrupted(let ctx):
            self.init(path: path(ctx.codingPath), reason: ctx.debugDescription)
        @unknown default:
            self.init(path: "$", reason: "\(error)")
        }
    }
}

extension Agreement {
    /// The bounds of every number an agreement carries (issue 7): a period or a target group
    /// of more than ten years, or a goal of more than ten years, is a typo.
    public enum Bounds {
        public static let days = 1...3650
        public static let months = 1...120
        public static let ages = 0...120
        /// A cost line or grant of more than ten thousand million kronor is a typo.
        public static let kronor = 0...10_000_000_000
    }
}
