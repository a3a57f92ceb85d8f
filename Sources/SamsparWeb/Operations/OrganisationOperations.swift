import Foundation
import SamsparDomain
import SamsparStore

/// The organisation registry (SPEC §2, *Organisations are a registry*): everyone reads it;
/// only the operator changes it, at the command line, and every change is audited.
public enum OrganisationOperations {
    /// The whole registry (public knowledge: who the parties are).
    public static func registry(_ s: Services) async throws -> [Organisation] {
        try await s.store.organisations()
    }

    /// The whole registry, for an act of `caller`.
    static func all(_ caller: Caller, _ s: Services) async throws -> [Organisation] {
        try await registry(s)
    }

    /// The caller's own organisation as the registry has it.
    static func own(_ caller: Caller, _ s: Services) async throws -> Organisation? {
        guard let own = caller.organisation else { return nil }
        return try await s.store.organisation(own)
    }

    /// One line of the registry, as `samspar org list` prints it and the audit log records a change.
    public static func line(_ o: Organisation) -> String {
        "\(o.number)\t\(o.kind.rawValue)\t\(o.municipalityCode?.description ?? "-")\t\(o.name)"
    }

    /// Adds an organisation (the operator only: a registry entry decides who may be a party).
    public static func add(_ organisation: Organisation, _ caller: Caller, _ s: Services) async throws {
        guard caller.organisation == nil else { throw APIError.forbidden("the registry is changed by the operator only") }
        try await s.store.addOrganisation(organisation, audit: caller.entry("org-add", detail: line(organisation)), at: s.now())
    }

    /// Changes an organisation's name, kind or kommunkod (the operator only).
    public static func update(
        _ number: Organisationsnummer, name: String?, kind: OrganisationKind?, municipalityCode: Kommunkod??, _ caller: Caller, _ s: Services
    ) async throws -> Organisation {
        guard caller.organisation == nil else { throw APIError.forbidden("the registry is changed by the operator only") }
        return try await s.store.updateOrganisation(
            number, name: name, kind: kind, municipalityCode: municipalityCode, audit: { caller.entry("org-update", detail: line($0)) }, at: s.now())
    }
}
