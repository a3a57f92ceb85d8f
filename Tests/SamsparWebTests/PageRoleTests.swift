import Foundation
import HTTPTypes
import SamsparDomain
import SamsparStore
import Testing

@testable import SamsparWeb

/// Which role may open which page or send which form (issue 8), written out by hand: each
/// row names the roles allowed; every other role gets the "no permission" page (403), and
/// `scripts/mutants` turns each route's check around ("route:METHOD PATH") to see this fail.
@Suite("Pages by role")
struct PageRoleTests {
    static let users: [(Role, String)] = [
        (.caseworker, "cw.haninge@example.se"), (.coordinator, "coordinator@example.se"), (.analyst, "analyst@example.se"),
        (.auditor, "auditor@example.se"), (.admin, "admin@example.se"),
    ]

    /// (method, path, roles allowed). A person's page uses Haninge's own registration.
    static let table: [(HTTPRequest.Method, String, Set<Role>)] = [
        (.get, "/deltagare", [.caseworker, .coordinator]),
        (.get, "/deltagare/export.csv", [.caseworker, .coordinator]),
        (.get, "/deltagare/ny", [.caseworker]),
        (.get, "/deltagare/kontrollera?personnummer=19900101-2385", [.caseworker]),
        (.get, "/deltagare/19900101-2385", [.caseworker, .coordinator]),
        (.get, "/deltagare/skyddad/0123456789abcdef0123456789abcdef", [.caseworker, .coordinator]),
        (.get, "/avtal/ostra-sodertorn/uppfoljning/personer?ar=2019&per=2019-06-30&figur=active", [.caseworker, .coordinator]),
        (.get, "/import", [.caseworker]),
        (.get, "/granskning", [.auditor]),
        (.get, "/granskning/utdrag.html?person=19900101-2385", [.auditor]),
        (.get, "/granskning/behandlingar", [.auditor, .admin]),
        (.get, "/granskning/behandlingar/bitrade", [.auditor, .admin]),
        (.get, "/konton", [.admin]),
        (.post, "/deltagare/ny", [.caseworker]),
        (.post, "/deltagare/19900101-2385/handelser", [.caseworker]),
        (.post, "/deltagare/19900101-2385/status", [.caseworker]),
        (.post, "/deltagare/19900101-2385/aktiviteter", [.caseworker]),
        (.post, "/deltagare/19900101-2385/samtycken", [.caseworker]),
        (.post, "/deltagare/19900101-2385/samtycken/1/aterkalla", [.caseworker]),
        (.post, "/deltagare/skyddad/0123456789abcdef0123456789abcdef", [.caseworker, .coordinator]),
        (.post, "/deltagare/19900101-2385/skydd", [.caseworker]),
        (.post, "/import", [.caseworker]),
        (.post, "/konton/anvandare", [.admin]),
        (.post, "/konton/anvandare/1/sparra", [.admin]),
        (.post, "/konton/nycklar", [.admin]),
        (.post, "/konton/nycklar/1/aterkalla", [.admin]),
        (.post, "/konton/anvandare/1/tvasteg", [.admin]),
        (.post, "/konton/roller", [.admin]),
        (.get, "/konto/sessioner", [.caseworker, .coordinator, .analyst, .auditor, .admin]),
        (.get, "/konto/tvastegsverifiering", [.caseworker, .coordinator, .analyst, .auditor, .admin]),
        (.post, "/avtal/ostra-sodertorn/uppfoljning/publicera", [.coordinator]),
        (.get, "/avtal/nytt", [.coordinator]),
        // A decision memo is the agreement's words for a board: whoever reads the agreement
        // reads it (issue 26).
        (.get, "/avtal/ostra-sodertorn/tjansteskrivelse?org=212000-0084", [.caseworker, .coordinator, .analyst, .auditor, .admin]),
        (.get, "/yrken?q=v%C3%A5rd", [.caseworker, .coordinator, .analyst, .auditor, .admin]),
        (.post, "/avtal/nytt", [.coordinator]),
        (.get, "/avtal/ostra-sodertorn/redigera", [.coordinator]),
        (.post, "/avtal/ostra-sodertorn/redigera/grund", [.coordinator]),
        (.post, "/avtal/ostra-sodertorn/redigera/ta-bort", [.coordinator]),
        (.post, "/avtal/ostra-sodertorn/underteckna", [.coordinator]),
        (.post, "/avtal/ostra-sodertorn/uppsagning", [.coordinator]),
        (.post, "/avtal/ostra-sodertorn/revidera", [.coordinator]),
        (.post, "/avtal/ostra-sodertorn/inbjudan/anta", [.coordinator]),
        (.post, "/avtal/ostra-sodertorn/inbjudan/avboj", [.coordinator]),
        (.post, "/avtal/ostra-sodertorn/utkast/ta-bort", [.coordinator]),
    ]

    @Test func everyRoleOnEveryPage() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let token = try await h.token(for: Org.haninge)
        _ = try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own))
        // One factor first: the admin's two-factor round disables account 1 (the caseworker).
        for (role, email, factors) in Self.users.map({ ($0.0, $0.1, 1) }) + Self.users.map({ ($0.0, $0.1, 2) }) {
            // SPEC §1: with one factor, every role is admitted where an analyst is, and nowhere else.
            let session = try await h.session(for: email, factors: factors)
            for (method, path, roles) in Self.table {
                let allowed = factors == 2 ? roles : roles.contains(.analyst) ? Set([role]) : []
                let reply = try await h.request(
                    method, path, as: .session(cookie: session.cookie, csrf: nil), headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: method == .post ? "_csrf=\(session.csrf)" : nil)
                if allowed.contains(role) {
                    #expect(reply.status != .forbidden, "\(role) \(factors) \(method) \(path): \(reply.status)")
                } else {
                    #expect(reply.status == .forbidden, "\(role) \(factors) \(method) \(path): \(reply.status)")
                    #expect(reply.text.contains("Du har inte behörighet"), "\(role) \(factors) \(method) \(path)")
                }
            }
        }
    }
}
