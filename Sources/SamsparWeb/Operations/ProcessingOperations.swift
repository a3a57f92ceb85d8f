import Foundation
import SamsparDomain
import SamsparStore

/// The record of processing (registerförteckning, GDPR art. 30; issue 23, part 3), generated
/// from the installation: one per controller (each party, its own), and the operator's as
/// processor (art. 30.2). Read by the party's auditor (the data-protection officer) and admin.
public enum ProcessingOperations {
    enum Act: RoleRule {
        case read
        var rule: (Role) -> Bool { { $0 == .auditor || $0 == .admin } }
        var what: String { "read the record of processing" }
    }

    /// A controller's record: the caller's own organisation's.
    public struct ControllerRecord: Sendable {
        public var organisation: Organisation
        public var agreements: [Agreement]
        public var people: Int
        public var recipients: [(Organisationsnummer, Int)]
        public var retention: RetentionSetting?
        /// Per agreement, the organisations whose coordinators read its joint figures live, and
        /// those coordinators' accounts.
        public var jointReaders: [(agreement: String, organisation: Organisation, coordinators: [String])]
        public var threshold: Int
        public var engine: String
        public var madeOn: Day
    }

    /// The processor's record: every controller it processes for.
    public struct ProcessorRecord: Sendable {
        public var controllers: [Organisation]
        public var engine: String
        public var madeOn: Day
    }

    static func engine(_ s: Services) -> String {
        s.store is SQLiteStore
            ? "en SQLite-databas, en fil på installationens server, med revisionsnyckeln i en egen fil"
            : "en PostgreSQL-databas som installationens driftansvarige sköter, med revisionsnyckeln utanför databasen"
    }

    static func controller(_ caller: Caller, _ s: Services) async throws -> ControllerRecord {
        guard let own = caller.organisation, let organisation = try await s.store.organisation(own) else { throw APIError.notFound() }
        let stored = try await s.store.agreements()
        let agreements = stored.map(\.agreement).filter { $0.parties.contains { $0.orgNumber == own } }
        let counts = try await s.store.processingCounts(of: own, on: s.today)
        var readers: [(agreement: String, organisation: Organisation, coordinators: [String])] = []
        for item in stored where item.agreement.signedByAll && item.agreement.parties.contains(where: { $0.orgNumber == own }) {
            for party in item.agreement.parties where !(try await s.store.holdsRegistrations(party.orgNumber)) {
                guard let reader = try await s.store.organisation(party.orgNumber) else { continue }
                let coordinators = try await s.store.users(of: party.orgNumber).filter { $0.role == .coordinator && !$0.disabled }.map(\.email).sorted()
                readers.append((item.agreement.title, reader, coordinators))
            }
        }
        return ControllerRecord(
            organisation: organisation, agreements: agreements, people: counts.registrations, recipients: counts.recipients,
            retention: try await s.store.retentionSetting(of: own), jointReaders: readers, threshold: s.suppression.threshold, engine: engine(s),
            madeOn: s.today)
    }

    static func processor(_ caller: Caller, _ s: Services) async throws -> ProcessorRecord {
        var controllers: [Organisation] = []
        for organisation in try await s.store.organisations() where try await s.store.holdsRegistrations(organisation.number) {
            controllers.append(organisation)
        }
        return ProcessorRecord(controllers: controllers, engine: engine(s), madeOn: s.today)
    }
}
