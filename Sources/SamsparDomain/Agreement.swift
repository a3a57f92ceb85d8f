import Foundation

/// An *överenskommelse* (SPEC §2), as imported from its JSON document (SPEC §4).
///
/// Built only through ``Agreement/parse(json:)``, which validates every field and reports
/// every problem at once, each with its JSON path.
public struct Agreement: Sendable, Equatable {
    public enum Status: String, Sendable, Codable, Equatable { case draft, signed, active, expired }

    public struct Party: Sendable, Equatable {
        public var orgNumber: Organisationsnummer
        public var name: String
        public var kind: OrganisationKind
        public var municipalityCode: Kommunkod?
        public var signatory: String?
        public var title: String?

        public init(
            orgNumber: Organisationsnummer, name: String, kind: OrganisationKind, municipalityCode: Kommunkod? = nil, signatory: String? = nil,
            title: String? = nil
        ) {
            self.orgNumber = orgNumber
            self.name = name
            self.kind = kind
            self.municipalityCode = municipalityCode
            self.signatory = signatory
            self.title = title
        }
    }

    public struct Track: Sendable, Equatable {
        public var code: String
        public var name: String
        public var kind: TrackKind
        public var ssyk: [SSYKCode]
        public var genderGoal: GenderGoal?
        /// The party responsible for the track (issue 9, part 2).
        public var responsible: Organisationsnummer?

        public init(
            code: String, name: String, kind: TrackKind, ssyk: [SSYKCode] = [], genderGoal: GenderGoal? = nil, responsible: Organisationsnummer? = nil
        ) {
            self.code = code
            self.name = name
            self.kind = kind
            self.ssyk = ssyk
            self.genderGoal = genderGoal
            self.responsible = responsible
        }
    }

    public struct GenderGoal: Sendable, Equatable {
        public var sex: Sex
        public var minShare: Double

        public init(sex: Sex, minShare: Double) {
            self.sex = sex
            self.minShare = minShare
        }
    }

    public struct Signature: Sendable, Equatable {
        public var orgNumber: Organisationsnummer
        public var place: String?
        public var date: Day
        public var name: String
        public var title: String?

        public init(orgNumber: Organisationsnummer, place: String?, date: Day, name: String, title: String?) {
            self.orgNumber = orgNumber
            self.place = place
            self.date = date
            self.name = name
            self.title = title
        }
    }

    /// Target-group rules; SPEC §3's defaults are 36 months and 16–24 years.
    public struct TargetGroups: Sendable, Equatable {
        public var monthsSinceFirstPermit: Int = 36
        public var minAge: Int = 16
        public var maxAge: Int = 24
        public init() {}

        /// In target group A on at least one day of `from … through` (SPEC §3: first permit
        /// date ≤ d ≤ first permit date + the months).
        public func inA(firstPermit: Day, from: Day, through: Day) -> Bool {
            from <= through && firstPermit <= through && firstPermit.adding(months: monthsSinceFirstPermit) >= from
        }

        /// In target group B on at least one day of `from … through` (SPEC §3: aged `minAge`
        /// to `maxAge` in full years, upper-secondary education not completed).
        public func inB(birth: Day, upperSecondaryCompleted: Bool, from: Day, through: Day) -> Bool {
            guard from <= through, !upperSecondaryCompleted else { return false }
            let first = birth.adding(years: minAge)
            let last = birth.adding(years: maxAge + 1).adding(days: -1)
            return first <= through && last >= from
        }
    }

    public var id: String
    public var title: String
    public var area: String?
    public var purpose: String?
    public var validFrom: Day
    public var periodMonths: Int
    public var nextRevision: Day?
    public var maxEstablishmentDays: Int
    public var targetGroups: TargetGroups
    public var parties: [Party]
    public var tracks: [Track]
    public var modelParts: [String: String]
    public var signatures: [Signature]
    public var status: Status
    /// A party's notice of termination (issue 9): the agreement then ends with the period in
    /// which the date falls.
    public var termination: Termination? = nil
    /// Issue 9, parts 1 and 2: the preparation and what the draft carries beside the model.
    public var coordinator: Coordinator? = nil
    public var decisions: [Decision] = []
    public var grants: [Grant] = []
    /// A written assessment per perspective (``requiredPerspectives``).
    public var perspectives: [String: String] = [:]
    public var costs: [CostLine] = []
    public var subGoals = SubGoalTargets()

    public init(
        id: String, title: String, area: String?, purpose: String?, validFrom: Day, periodMonths: Int, nextRevision: Day?, maxEstablishmentDays: Int,
        targetGroups: TargetGroups, parties: [Party], tracks: [Track], modelParts: [String: String], signatures: [Signature], status: Status
    ) {
        self.id = id
        self.title = title
        self.area = area
        self.purpose = purpose
        self.validFrom = validFrom
        self.periodMonths = periodMonths
        self.nextRevision = nextRevision
        self.maxEstablishmentDays = maxEstablishmentDays
        self.targetGroups = targetGroups
        self.parties = parties
        self.tracks = tracks
        self.modelParts = modelParts
        self.signatures = signatures
        self.status = status
    }

    /// The kommunkoder of the municipalities that are parties: the report's population.
    public var municipalities: [Kommunkod] {
        parties.compactMap(\.municipalityCode).sorted()
    }

    /// The five parts of the local model the Dua model requires (SPEC §2).
    public static let requiredModelParts = ["skillsNeed", "targetGroup", "organisation", "tracks", "youth"]
}

public enum OrganisationKind: String, Sendable, Codable, CaseIterable {
    case municipality
    case employmentService = "employment_service"
    case coordinationAssociation = "coordination_association"
    case region
    case other
}

public enum TrackKind: String, Sendable, Codable, CaseIterable {
    case vocational, education, other
}

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
    public static func parse(json data: Data) throws(AgreementError) -> Agreement {
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

/// The JSON document exactly as written (SPEC §4); validated into ``Agreement``.
struct AgreementDTO: Decodable {
    /// The keys a document may have, by object: a misspelt key would otherwise be ignored and
    /// its default used in silence (`maxEstablishmentDays` → 730).
    private indirect enum Shape: Sendable {
        case object([String: Shape])
        case array(Shape)
        case leaf
    }

    private static let shape: Shape = .object([
        "id": .leaf, "title": .leaf, "area": .leaf, "purpose": .leaf, "validFrom": .leaf, "periodMonths": .leaf, "nextRevision": .leaf,
        "overallGoal": .object(["maxEstablishmentDays": .leaf]),
        "targetGroups": .object([
            "a": .object(["monthsSinceFirstPermit": .leaf]), "b": .object(["minAge": .leaf, "maxAge": .leaf, "withoutUpperSecondary": .leaf]),
        ]),
        "parties": .array(.object(["orgNumber": .leaf, "name": .leaf, "kind": .leaf, "municipalityCode": .leaf, "signatory": .leaf, "title": .leaf])),
        "tracks": .array(
            .object([
                "code": .leaf, "name": .leaf, "kind": .leaf, "ssyk": .leaf, "genderGoal": .object(["sex": .leaf, "minShare": .leaf]),
                "responsible": .leaf,
            ])),
        "modelParts": .object(Dictionary(uniqueKeysWithValues: Agreement.requiredModelParts.map { ($0, Shape.leaf) })),
        "signatures": .array(.object(["orgNumber": .leaf, "place": .leaf, "date": .leaf, "name": .leaf, "title": .leaf])),
        "status": .leaf,
        "termination": .object(["orgNumber": .leaf, "date": .leaf]),
        "coordinator": .object(["name": .leaf, "title": .leaf, "orgNumber": .leaf, "email": .leaf, "phone": .leaf]),
        "decisions": .array(.object(["orgNumber": .leaf, "body": .leaf, "date": .leaf, "decision": .leaf])),
        "grants": .array(
            .object([
                "orgNumber": .leaf, "round": .leaf, "purpose": .leaf, "basis": .leaf, "applied": .leaf, "granted": .leaf, "decisionDate": .leaf,
                "reportDue": .leaf, "reportedOn": .leaf,
            ])),
        "perspectives": .object(Dictionary(uniqueKeysWithValues: Agreement.requiredPerspectives.map { ($0, Shape.leaf) })),
        "costs": .array(.object(["track": .leaf, "orgNumber": .leaf, "year": .leaf, "amount": .leaf, "source": .leaf, "spent": .leaf])),
        "subGoals": .object(["recruitment": .leaf, "acceptance": .leaf, "completion": .leaf, "outcome": .leaf]),
    ])

    /// Every key of the document that the format does not have, by path.
    static func unknownKeys(in data: Data) -> [AgreementProblem] {
        guard let root = try? JSONSerialization.jsonObject(with: data) else { return [] }
        var problems: [AgreementProblem] = []
        func walk(_ value: Any, _ shape: Shape, _ path: String) {
            switch shape {
            case .leaf: return
            case .array(let element):
                guard let items = value as? [Any] else { return }
                for (i, item) in items.enumerated() { walk(item, element, "\(path)[\(i)]") }
            case .object(let members):
                guard let object = value as? [String: Any] else { return }
                for key in object.keys.sorted() {
                    let keyPath = path.isEmpty ? key : "\(path).\(key)"
                    if let inner = members[key] {
                        walk(object[key]!, inner, keyPath)
                    } else {
                        problems.append(.init(path: keyPath, reason: "is not a key of an agreement document (misspelt?)"))
                    }
                }
            }
        }
        walk(root, shape, "")
        return problems
    }

    struct Goal: Decodable { var maxEstablishmentDays: Int? }
    struct Groups: Decodable {
        struct A: Decodable { var monthsSinceFirstPermit: Int? }
        struct B: Decodable {
            var minAge: Int?
            var maxAge: Int?
            var withoutUpperSecondary: Bool?
        }
        var a: A?
        var b: B?
    }
    struct Party: Decodable {
        var orgNumber: String
        var name: String
        var kind: String
        var municipalityCode: String?
        var signatory: String?
        var title: String?
    }
    struct Track: Decodable {
        struct Goal: Decodable {
            var sex: String
            var minShare: Double
        }
        var code: String
        var name: String
        var kind: String
        var ssyk: [String]?
        var genderGoal: Goal?
        var responsible: String?
    }
    struct Signature: Decodable {
        var orgNumber: String
        var place: String?
        var date: String
        var name: String
        var title: String?
    }
    var id: String
    var title: String
    var area: String?
    var purpose: String?
    var validFrom: String
    var periodMonths: Int?
    var nextRevision: String?
    var overallGoal: Goal?
    var targetGroups: Groups?
    var parties: [Party]
    var tracks: [Track]
    var modelParts: [String: String]?
    var signatures: [Signature]?
    var status: String?
    var termination: TerminationDTO?
    var coordinator: CoordinatorDTO?
    var decisions: [DecisionDTO]?
    var grants: [GrantDTO]?
    var perspectives: [String: String]?
    var costs: [CostDTO]?
    var subGoals: SubGoalsDTO?
    struct CoordinatorDTO: Decodable {
        var name: String
        var title: String?
        var orgNumber: String?
        var email: String?
        var phone: String?
    }
    struct DecisionDTO: Decodable {
        var orgNumber: String
        var body: String
        var date: String
        var decision: String
    }
    struct GrantDTO: Decodable {
        var orgNumber: String
        var round: String?
        var purpose: String
        var basis: Int?
        var applied: Int
        var granted: Int?
        var decisionDate: String?
        var reportDue: String?
        var reportedOn: String?
    }
    struct CostDTO: Decodable {
        var track: String?
        var orgNumber: String
        var year: Int
        var amount: Int
        var source: String
        var spent: Int?
    }
    struct SubGoalsDTO: Decodable {
        var recruitment: Double?
        var acceptance: Double?
        var completion: Double?
        var outcome: Double?
    }
    struct TerminationDTO: Decodable {
        var orgNumber: String
        var date: String
    }
}

extension Agreement {
    /// The agreement as the JSON document of SPEC §4 (what `parse(json:)` reads back).
    public var document: JSONValue {
        func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        var members: [(String, JSONValue)] = [
            ("id", .string(id)), ("title", .string(title)), ("area", optional(area)), ("purpose", optional(purpose)),
            ("validFrom", .string(validFrom.description)), ("periodMonths", .int(periodMonths)),
            ("nextRevision", optional(nextRevision?.description)),
            ("overallGoal", .object([("maxEstablishmentDays", .int(maxEstablishmentDays))])),
            (
                "targetGroups",
                .object([
                    ("a", .object([("monthsSinceFirstPermit", .int(targetGroups.monthsSinceFirstPermit))])),
                    ("b", .object([("minAge", .int(targetGroups.minAge)), ("maxAge", .int(targetGroups.maxAge)), ("withoutUpperSecondary", .bool(true))])),
                ])
            ),
        ]
        members.append(
            (
                "parties",
                .array(
                    parties.map { p in
                        .object([
                            ("orgNumber", .string(p.orgNumber.description)), ("name", .string(p.name)), ("kind", .string(p.kind.rawValue)),
                            ("municipalityCode", optional(p.municipalityCode?.description)), ("signatory", optional(p.signatory)), ("title", optional(p.title)),
                        ])
                    })
            ))
        members.append(
            (
                "tracks",
                .array(
                    tracks.map { t in
                        .object([
                            ("code", .string(t.code)), ("name", .string(t.name)), ("kind", .string(t.kind.rawValue)),
                            ("ssyk", .array(t.ssyk.map { .string($0.code) })),
                            ("genderGoal", t.genderGoal.map { .object([("sex", .string($0.sex.rawValue)), ("minShare", .double($0.minShare))]) } ?? .null),
                            ("responsible", optional(t.responsible?.description)),
                        ])
                    })
            ))
        members.append(("modelParts", .object(modelParts.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        members.append(
            (
                "signatures",
                .array(
                    signatures.map { s in
                        .object([
                            ("orgNumber", .string(s.orgNumber.description)), ("place", optional(s.place)), ("date", .string(s.date.description)),
                            ("name", .string(s.name)), ("title", optional(s.title)),
                        ])
                    })
            ))
        members.append(("status", .string(status.rawValue)))
        if let termination {
            members.append(
                ("termination", .object([("orgNumber", .string(termination.orgNumber.description)), ("date", .string(termination.date.description))])))
        }
        func int(_ i: Int?) -> JSONValue { i.map(JSONValue.int) ?? .null }
        func double(_ d: Double?) -> JSONValue { d.map(JSONValue.double) ?? .null }
        if let c = coordinator {
            members.append(
                (
                    "coordinator",
                    .object([
                        ("name", .string(c.name)), ("title", optional(c.title)), ("orgNumber", optional(c.orgNumber?.description)),
                        ("email", optional(c.email)),
                        ("phone", optional(c.phone)),
                    ])
                ))
        }
        members.append(
            (
                "decisions",
                .array(
                    decisions.map { d in
                        .object([
                            ("orgNumber", .string(d.orgNumber.description)), ("body", .string(d.body)), ("date", .string(d.date.description)),
                            ("decision", .string(d.decision)),
                        ])
                    })
            ))
        members.append(
            (
                "grants",
                .array(
                    grants.map { g in
                        .object([
                            ("orgNumber", .string(g.orgNumber.description)), ("round", optional(g.round)), ("purpose", .string(g.purpose)),
                            ("basis", int(g.basis)),
                            ("applied", .int(g.applied)), ("granted", int(g.granted)), ("decisionDate", optional(g.decisionDate?.description)),
                            ("reportDue", optional(g.reportDue?.description)), ("reportedOn", optional(g.reportedOn?.description)),
                        ])
                    })
            ))
        members.append(("perspectives", .object(perspectives.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        members.append(
            (
                "costs",
                .array(
                    costs.map { c in
                        .object([
                            ("track", optional(c.track)), ("orgNumber", .string(c.orgNumber.description)), ("year", .int(c.year)), ("amount", .int(c.amount)),
                            ("source", .string(c.source.rawValue)), ("spent", int(c.spent)),
                        ])
                    })
            ))
        members.append(
            (
                "subGoals",
                .object([
                    ("recruitment", double(subGoals.recruitment)), ("acceptance", double(subGoals.acceptance)),
                    ("completion", double(subGoals.completion)), ("outcome", double(subGoals.outcome)),
                ])
            ))
        return .object(members)
    }
}
