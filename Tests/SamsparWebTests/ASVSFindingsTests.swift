import Foundation
import HTTPTypes
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore
@testable import SamsparWeb

/// The findings of the ASVS 4.0 level 2 walk-through (issue 21, part 5; SECURITY.md) that were
/// mended at once, each shown over HTTP.
@Suite struct ASVSFindingsTests {
    /// Login CSRF: another site's form may post `text/plain` without asking, so a JSON body
    /// must be declared JSON, and sign-in first of all (no cookie is set for it).
    @Test func aJSONBodyMustSayItIsJSON() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let body = #"{"email": "cw.haninge@example.se", "password": "\#(Harness.password)"}"#
        for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
            let reply = try await h.request(.post, "/api/v1/session", as: .anonymous, headers: [.contentType: type], body: body)
            #expect(reply.status == .unsupportedMediaType, "\(type)")
            #expect(reply.headers[.setCookie] == nil, "\(type)")
        }
        let withCode = #"{"email": "cw.haninge@example.se", "password": "\#(Harness.password)", "code": "\#(h.code())"}"#
        let signedIn = try await h.request(.post, "/api/v1/session", as: .anonymous, headers: [.contentType: "application/json; charset=utf-8"], body: withCode)
        #expect(signedIn.status == .ok)
        // A cookie write with a body is refused the same way, before its CSRF header is even needed.
        let token = try await h.token(for: Org.haninge)
        let plain = try await h.request(
            .post, "/api/v1/participants", as: .token(token), headers: [.contentType: "text/plain"], body: People.participantJSON(People.own))
        #expect(plain.status == .unsupportedMediaType)
    }

    /// bcrypt reads at most 72 bytes and stops at a NUL: such a password is refused when set,
    /// and is a wrong password at sign-in.
    @Test func aPasswordBcryptWouldCutIsRefused() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let admin = try await h.session(for: "admin@example.se")
        for password in ["\\u0000 then anything at all", String(repeating: "a", count: 73), String(repeating: "å", count: 37)] {
            let reply = try await h.request(
                .post, "/api/v1/users", as: .session(cookie: admin.cookie, csrf: admin.csrf),
                json: #"{"email": "ny@example.se", "role": "caseworker", "password": "\#(password)"}"#)
            #expect(reply.status == .unprocessableContent, "\(password.prefix(8))")
        }
        // 72 bytes exactly are kept whole.
        let seventyTwo = String(repeating: "å", count: 36)
        let added = try await h.request(
            .post, "/api/v1/users", as: .session(cookie: admin.cookie, csrf: admin.csrf),
            json: #"{"email": "ny@example.se", "role": "caseworker", "password": "\#(seventyTwo)"}"#)
        #expect(added.status == .created)
        let wrong = try await h.request(
            .post, "/api/v1/session", as: .anonymous, json: #"{"email": "ny@example.se", "password": "\#(seventyTwo)x"}"#)
        #expect(wrong.status == .unauthorized)
        let right = try await h.request(.post, "/api/v1/session", as: .anonymous, json: #"{"email": "ny@example.se", "password": "\#(seventyTwo)"}"#)
        #expect(right.status == .ok)
    }

    /// Signing out tells the browser to forget what it kept of the site.
    @Test func signingOutClearsTheSiteData() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let session = try await h.session(for: "cw.haninge@example.se")
        let ended = try await h.request(.delete, "/api/v1/session", as: .session(cookie: session.cookie, csrf: session.csrf))
        #expect(ended.status == .noContent)
        #expect(ended.headers[HTTPField.Name("Clear-Site-Data")!] == #""cache", "cookies", "storage""#)
    }

    @Test func everyAnswerSaysNoStoreAndHSTS() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        for path in ["/logga-in", "/api/v1/openapi.json", "/api/v1/nothing"] {
            let reply = try await h.request(.get, path, as: .anonymous)
            #expect(reply.headers[.cacheControl] == "no-store", "\(path)")
            #expect(reply.headers[HTTPField.Name("Strict-Transport-Security")!] == "max-age=31536000", "\(path)")
        }
    }
}
