import Foundation
import SamsparDomain

/// An organisation of the registry (SPEC §2, *Organisations are a registry*).
public struct Organisation: Sendable, Equatable {
    public var number: Organisationsnummer
    public var name: String
    public var kind: OrganisationKind
    public var municipalityCode: Kommunkod?

    public init(number: Organisationsnummer, name: String, kind: OrganisationKind, municipalityCode: Kommunkod?) {
        self.number = number
        self.name = name
        self.kind = kind
        self.municipalityCode = municipalityCode
    }
}

/// Why the registry refused a change, in words the operator can act on.
public enum OrganisationError: Error, Equatable, CustomStringConvertible {
    case exists(Organisationsnummer)
    case unknown(Organisationsnummer)
    case kommunkodTaken(Kommunkod, by: Organisationsnummer)
    case municipalityNeedsKommunkod
    case kommunkodOnlyForMunicipality
    case emptyName
    case kindFixed(Organisationsnummer)

    public var description: String {
        switch self {
        case .exists(let n): "organisation \(n) is already in the registry (change it with `samspar org update`)"
        case .unknown(let n): "organisation \(n) is not in the registry (add it with `samspar org add`)"
        case .kommunkodTaken(let code, let other): "kommunkod \(code) already belongs to the municipality organisation \(other)"
        case .municipalityNeedsKommunkod: "a municipality needs its kommunkod (--kommunkod)"
        case .kommunkodOnlyForMunicipality: "only a municipality has a kommunkod"
        case .emptyName: "the name is empty"
        case .kindFixed(let n):
            "organisation \(n) has registrations: its kind decides their precedence in every report, so it cannot change (add the organisation anew)"
        }
    }
}

/// The organisation registry, written once over ``SQLSession`` for both engines. Only the
/// operator changes it (`samspar org`, and `samspar agreement import` for organisations the
/// registry does not have yet); an agreement never changes an organisation.
public enum Organisations {
    static func all(in s: any SQLSession) async throws -> [Organisation] {
        try await s.query("SELECT org_number, name, kind, municipality_code FROM organisations ORDER BY org_number").compactMap(organisation)
    }

    static func find(_ number: Organisationsnummer, in s: any SQLSession) async throws -> Organisation? {
        try await s.query(
            "SELECT org_number, name, kind, municipality_code FROM organisations WHERE org_number = $1", [.int(number.value)]
        ).first.flatMap(organisation)
    }

    /// Adds an organisation; at most one municipality per kommunkod.
    static func add(_ o: Organisation, in s: any SQLSession) async throws {
        try validate(o)
        if try await find(o.number, in: s) != nil { throw OrganisationError.exists(o.number) }
        try await checkKommunkod(o, in: s)
        try await s.query(
            "INSERT INTO organisations (org_number, name, kind, municipality_code) VALUES ($1, $2, $3, $4)",
            [.int(o.number.value), .text(o.name), .text(o.kind.rawValue), o.municipalityCode.map { .int(Int($0.value)) } ?? .null])
    }

    /// Changes what is given; returns the organisation as it is now.
    static func update(
        _ number: Organisationsnummer, name: String?, kind: OrganisationKind?, municipalityCode: Kommunkod??, in s: any SQLSession
    ) async throws -> Organisation {
        guard var o = try await find(number, in: s) else { throw OrganisationError.unknown(number) }
        if let kind, kind != o.kind,
            !(try await s.query("SELECT 1 AS x FROM registrations WHERE org_number = $1 LIMIT 1", [.int(number.value)]).isEmpty)
        {
            throw OrganisationError.kindFixed(number)
        }
        if let name { o.name = name }
        if let kind { o.kind = kind }
        if let municipalityCode { o.municipalityCode = municipalityCode }
        if o.kind != .municipality && municipalityCode == nil && kind != nil { o.municipalityCode = nil }
        try validate(o)
        try await checkKommunkod(o, in: s)
        try await s.query(
            "UPDATE organisations SET name = $1, kind = $2, municipality_code = $3 WHERE org_number = $4",
            [.text(o.name), .text(o.kind.rawValue), o.municipalityCode.map { .int(Int($0.value)) } ?? .null, .int(number.value)])
        return o
    }

    private static func validate(_ o: Organisation) throws(OrganisationError) {
        if o.name.trimmingCharacters(in: .whitespaces).isEmpty { throw .emptyName }
        if o.kind == .municipality && o.municipalityCode == nil { throw .municipalityNeedsKommunkod }
        if o.kind != .municipality && o.municipalityCode != nil { throw .kommunkodOnlyForMunicipality }
    }

    private static func checkKommunkod(_ o: Organisation, in s: any SQLSession) async throws {
        guard o.kind == .municipality, let code = o.municipalityCode else { return }
        let rows = try await s.query(
            "SELECT org_number FROM organisations WHERE kind = 'municipality' AND municipality_code = $1 AND org_number <> $2",
            [.int(Int(code.value)), .int(o.number.value)])
        if let other = rows.first?["org_number"].int { throw OrganisationError.kommunkodTaken(code, by: Organisationsnummer(storedValue: other)) }
    }

    static func organisation(_ row: SQLRow) -> Organisation? {
        guard let number = row["org_number"].int, let name = row["name"].text, let kind = row["kind"].text.flatMap(OrganisationKind.init(rawValue:))
        else { return nil }
        return Organisation(
            number: Organisationsnummer(storedValue: number), name: name, kind: kind,
            municipalityCode: row["municipality_code"].int.map { Kommunkod(storedValue: Int16($0)) })
    }
}
