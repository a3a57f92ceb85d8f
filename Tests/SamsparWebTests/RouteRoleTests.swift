import Foundation
import HTTPTypes
import SamsparDomain
import SamsparStore
import SamsparTestSupport
import Testing

@testable import SamsparWeb

/// Every route with a role check, called by every role (issue 7, part 9). The roles each
/// route admits are written out by hand from SPEC §1; a role outside the list must get
/// `403`, one inside it anything but `401`/`403` (the bodies are deliberately incomplete,
/// so an admitted call stops at validation and changes nothing). Anonymous calls get `401`.
@Suite("Every route's role check")
struct RouteRoleTests {
    static let readers: Set<String> = ["caseworker", "coordinator", "system"]
    static let writers: Set<String> = ["caseworker", "system"]

    /// Method, path, body, and the roles admitted. Written by hand.
    static let routes: [(HTTPRequest.Method, String, String?, Set<String>)] = [
        (.get, "/api/v1/participants", nil, readers),
        (.post, "/api/v1/participants", "{}", writers),
        (.get, "/api/v1/participants/\(People.stranger)", nil, readers),
        (.put, "/api/v1/participants/\(People.stranger)", "{}", writers),
        (.post, "/api/v1/participants/\(People.stranger)/events", "{}", writers),
        (.post, "/api/v1/participants/\(People.stranger)/statuses", "{}", writers),
        (.post, "/api/v1/participants/\(People.stranger)/activities", "{}", writers),
        (.get, "/api/v1/participants/\(People.stranger)/consents", nil, readers),
        (.post, "/api/v1/participants/\(People.stranger)/consents", "{}", writers),
        (.post, "/api/v1/participants/\(People.stranger)/consents/999/withdraw", nil, writers),
        (.get, "/api/v1/participants/\(People.stranger)/access-log", nil, readers),
        (.post, "/api/v1/imports/participants", "", writers),
        (.put, "/api/v1/agreements/ostra-sodertorn", "{}", ["coordinator"]),
        (.post, "/api/v1/agreements/ostra-sodertorn/published", "{}", ["coordinator"]),
        // Live figures (issue 17): none for an analyst, an auditor or an admin.
        (.get, "/api/v1/agreements/ostra-sodertorn/report?year=2019", nil, readers),
        (.put, "/api/v1/agreements/ostra-sodertorn/draft", "{}", ["coordinator"]),
        (.delete, "/api/v1/agreements/ostra-sodertorn/draft", nil, ["coordinator"]),
        (.post, "/api/v1/agreements/ostra-sodertorn/draft/accept", nil, ["coordinator"]),
        (.post, "/api/v1/agreements/ostra-sodertorn/draft/decline", nil, ["coordinator"]),
        (.get, "/api/v1/invitations", nil, ["coordinator"]),
        (.post, "/api/v1/agreements/ostra-sodertorn/signatures", "{}", ["coordinator"]),
        (.post, "/api/v1/agreements/ostra-sodertorn/revisions", nil, ["coordinator"]),
        (.post, "/api/v1/agreements/ostra-sodertorn/termination", "{}", ["coordinator"]),
        (.get, "/api/v1/disagreements", nil, ["coordinator"]),
        (.get, "/api/v1/audit", nil, ["auditor"]),
        (.get, "/api/v1/audit/verify", nil, ["auditor"]),
        (.get, "/api/v1/audit/extract?personId=19900101-2385", nil, ["auditor"]),
        (.get, "/api/v1/users", nil, ["admin"]),
        (.post, "/api/v1/users", "{}", ["admin"]),
        (.post, "/api/v1/users/999/disable", nil, ["admin"]),
        (.post, "/api/v1/users/999/enable", nil, ["admin"]),
        (.post, "/api/v1/users/999/password", "{}", ["admin"]),
        (.get, "/api/v1/tokens", nil, ["admin"]),
        (.post, "/api/v1/tokens", "{}", ["admin"]),
        (.delete, "/api/v1/tokens/999", nil, ["admin"]),
    ]

    @Test func everyRouteAdmitsExactlyItsRoles() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        var callers: [(String, Harness.Caller)] = [("system", .token(try await h.token(for: Org.haninge))), ("anonymous", .anonymous)]
        for (role, email) in [
            ("caseworker", "cw.haninge@example.se"), ("coordinator", "coordinator@example.se"), ("analyst", "analyst@example.se"),
            ("auditor", "auditor@example.se"), ("admin", "admin@example.se"),
        ] {
            let s = try await h.session(for: email)
            callers.append((role, .session(cookie: s.cookie, csrf: s.csrf)))
            // SPEC §1: the same person signed in with one factor is admitted where an analyst is.
            let weak = try await h.session(for: email, factors: 1)
            callers.append(("one factor, " + role, .session(cookie: weak.cookie, csrf: weak.csrf)))
        }
        var checked = 0
        for (method, path, body, admitted) in Self.routes {
            for (role, caller) in callers {
                let reply: Harness.Reply
                if path.hasPrefix("/api/v1/imports") {
                    reply = try await h.request(method, path, as: caller, csv: body ?? "")
                } else {
                    reply = try await h.request(method, path, as: caller, json: body)
                }
                let status = Int(reply.status.code)
                if role == "anonymous" {
                    #expect(status == 401, "\(role) \(method) \(path): \(reply.text)")
                } else if admitted.contains(role.hasPrefix("one factor, ") ? "analyst" : role) {
                    #expect(status != 401 && status != 403, "\(role) \(method) \(path) is admitted: \(reply.text)")
                } else {
                    #expect(status == 403, "\(role) \(method) \(path) is not admitted: \(reply.text)")
                }
                checked += 1
            }
        }
        #expect(checked == 35 * 12)
        // Every role-checked route is in the table: the router has no other.
        let open: Set<String> = [
            "POST /api/v1/session", "GET /api/v1/session", "DELETE /api/v1/session", "GET /api/v1/agreements", "GET /api/v1/agreements/{id}",
            "GET /api/v1/agreements/{id}/document", "GET /api/v1/openapi.json", "GET /health", "GET /api/v1/agreements/{id}/closes",
            "GET /api/v1/agreements/{id}/closes/{quarter}",
            "GET /api/v1/agreements/{id}/published", "GET /api/v1/agreements/{id}/published/{publicationId}", "GET /api/v1/agreements/{id}/check",
        ]
        #expect(h.routes.count == Self.routes.count + open.count)
    }
}
