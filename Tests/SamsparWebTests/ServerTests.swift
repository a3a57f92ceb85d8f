import Foundation
import HTTPTypes
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore
@testable import SamsparWeb

@Suite("samspar serve (issue 4)")
struct ServerTests {
    @Test(arguments: Engine.available)
    func aCaseSystemPushesADaysRecordsAndGetsTheReportBack(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let token = try await h.token(for: Org.haninge, name: "Haninge VS")
        let participants = """
            person_id;given_name;family_name;sex;municipality;first_permit_date;registered_on;exited_on;exit_reason;upper_secondary_completed;education_level
            199001012385;Amina;Testsson;;0136;2016-03-01;2018-01-10;;;yes;3
            199009132391;Ali;Provsson;;0136;2017-05-15;2018-02-01;;;no;2
            """
        let events = """
            person_id;track;event;date
            199001012385;vard;invited;2018-02-01
            199001012385;vard;attended;2018-02-10
            199001012385;vard;accepted;2018-02-20
            199009132391;vard;invited;2018-02-01
            """
        let statuses = "person_id;status;date\n199001012385;work;2018-09-01\n"
        for (kind, body, rows) in [("participants", participants, 2), ("events", events, 4), ("statuses", statuses, 1)] {
            let r = try await h.request(.post, "/api/v1/imports/\(kind)", as: .token(token), csv: body)
            #expect(r.status == .ok, "\(kind): \(r.text)")
            #expect(r.json["imported"] as? Int == rows)
        }
        let report = try await h.request(.get, "/api/v1/agreements/ostra-sodertorn/report?year=2018&asOf=2019-06-30", as: .token(token))
        #expect(report.status == .ok)
        let participantsFigure = report.json["participants"] as? [String: Any]
        #expect(participantsFigure?["active"] as? Int == 2)
        let vard = (report.json["tracks"] as? [[String: Any]])?.first { $0["code"] as? String == "vard" }
        #expect(vard?["invited"] as? Int == 2 && vard?["accepted"] as? Int == 1)
        // The same through the store gives the same document: one definition of each figure
        // (the token's own figures are everyone's here: Haninge alone registers), and the
        // document says whose figures they are.
        let (direct, stored) = try await h.store.report(agreementID: "ostra-sodertorn", year: 2018, asOf: try Day(iso: "2019-06-30"))
        let joint = ReportDocument(report: direct, suppression: nil, agreementVersion: stored.version).json.serialized(pretty: false)
        #expect(report.text == joint.dropLast() + #","scope":"own"}"#)
        // A bad file: 422, every bad row, nothing written.
        let bad = "person_id;status;date\n199001012385;work;2019-13-01\n199001012385;sleeping;2019-01-01\n"
        let rejected = try await h.request(.post, "/api/v1/imports/statuses", as: .token(token), csv: bad)
        #expect(rejected.status == .unprocessableContent)
        let errors = rejected.json["errors"] as? [[String: Any]] ?? []
        #expect(errors.map { $0["line"] as? Int } == [2, 3])
        #expect(errors.first?["column"] as? String == "date")
        #expect(try await h.store.counts()["status_changes"] == 1)
    }

    /// Who sees which live figures (SPEC §3): an analyst, an auditor and an admin none
    /// (`403 figures_not_live`, audited); the samordningsförbund's coordinator (no
    /// registrations, party to the signed agreement) the joint ones, each read audited and
    /// listed to every party's auditors; a caseworker of Tyresö its own, which do not count
    /// Haninge's participant.
    @Test func liveFiguresGoByOrganisationAndRole() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let token = try await h.token(for: Org.haninge)
        let one =
            "person_id;given_name;family_name;sex;municipality;first_permit_date;registered_on;exited_on;exit_reason;upper_secondary_completed;education_level\n199001012385;A;B;;0136;2016-03-01;2018-01-10;;;yes;3\n"
        #expect(try await h.request(.post, "/api/v1/imports/participants", as: .token(token), csv: one).status == .ok)
        let path = "/api/v1/agreements/ostra-sodertorn/report?year=2018"
        for email in ["analyst@example.se", "auditor@example.se", "admin@example.se"] {
            let session = try await h.session(for: email)
            let refused = try await h.request(.get, path + "&suppress=true", as: .session(cookie: session.cookie, csrf: nil))
            #expect(refused.status == .forbidden, "\(email)")
            #expect(refused.errorCode == "figures_not_live", "\(email)")
            #expect(!refused.text.contains("199001012385"))
        }
        let coordinator = try await h.session(for: "coordinator@example.se")
        let joint = try await h.request(.get, path, as: .session(cookie: coordinator.cookie, csrf: nil))
        #expect(joint.json["scope"] as? String == "joint")
        #expect((joint.json["participants"] as? [String: Any])?["active"] as? Int == 1)
        let suppressed = try await h.request(.get, path + "&suppress=true", as: .session(cookie: coordinator.cookie, csrf: nil))
        #expect((suppressed.json["participants"] as? [String: Any])?["active"] as? String == "<5")
        let tyreso = try await h.session(for: "cw.tyreso@example.se")
        let own = try await h.request(.get, path, as: .session(cookie: tyreso.cookie, csrf: nil))
        #expect(own.json["scope"] as? String == "own")
        #expect((own.json["participants"] as? [String: Any])?["active"] as? Int == 0)
        let haninge = try await h.request(.get, path, as: .token(token))
        #expect(haninge.json["scope"] as? String == "own")
        #expect((haninge.json["participants"] as? [String: Any])?["active"] as? Int == 1)
        // The joint reads are in the log of Haninge's auditor (a party), with agreement and year.
        let auditor = try await h.session(for: "auditor@example.se")
        let log = try await h.request(.get, "/api/v1/audit?action=read-joint-figures", as: .session(cookie: auditor.cookie, csrf: nil))
        let entries = try #require(log.json["items"] as? [[String: Any]])
        #expect(entries.count == 2)
        #expect(entries.first?["detail"] as? String == "ostra-sodertorn 2018 as of 2019-06-08")
        // The refusals were audited too.
        let refusals = try await h.request(.get, "/api/v1/audit?action=refused", as: .session(cookie: auditor.cookie, csrf: nil))
        #expect((refusals.json["items"] as? [[String: Any]])?.contains { ($0["detail"] as? String)?.contains("no live figures") == true } == true)
    }

    @Test func signInSetsAStrictCookieAndWritesNeedTheCSRFToken() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let signIn = try await h.request(
            .post, "/api/v1/session", as: .anonymous, json: #"{"email": "CW.Haninge@example.se", "password": "\#(Harness.password)", "code": "\#(h.code())"}"#)
        #expect(signIn.status == .ok)
        let cookie = try #require(signIn.headers[.setCookie])
        #expect(cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("SameSite=Strict"))
        let csrf = try #require(signIn.json["csrfToken"] as? String)
        let pair = String(cookie.split(separator: ";")[0])
        let me = try await h.request(.get, "/api/v1/session", as: .session(cookie: pair, csrf: nil))
        #expect(me.json["role"] as? String == "caseworker")
        let without = try await h.request(.post, "/api/v1/participants", as: .session(cookie: pair, csrf: nil), json: People.participantJSON(People.own))
        #expect(without.status == .forbidden && without.errorCode == "csrf")
        let wrong = try await h.request(.post, "/api/v1/participants", as: .session(cookie: pair, csrf: "nope"), json: People.participantJSON(People.own))
        #expect(wrong.status == .forbidden)
        let with = try await h.request(.post, "/api/v1/participants", as: .session(cookie: pair, csrf: csrf), json: People.participantJSON(People.own))
        #expect(with.status == .created, "\(with.text)")
        // Signing out ends the session in the database, for every instance.
        #expect(try await h.request(.delete, "/api/v1/session", as: .session(cookie: pair, csrf: csrf)).status == .noContent)
        #expect(try await h.request(.get, "/api/v1/session", as: .session(cookie: pair, csrf: nil)).status == .unauthorized)
    }

    @Test func signInIsRateLimitedPerAccountAndTellsNothingAboutWhichPartWasWrong() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let unknown = try await h.request(.post, "/api/v1/session", as: .anonymous, json: #"{"email": "nobody@example.se", "password": "whatever it is"}"#)
        let wrong = try await h.request(.post, "/api/v1/session", as: .anonymous, json: #"{"email": "admin@example.se", "password": "whatever it is"}"#)
        #expect(unknown.status == .unauthorized && unknown.text == wrong.text)
        for _ in 0..<4 {
            _ = try await h.request(.post, "/api/v1/session", as: .anonymous, json: #"{"email": "admin@example.se", "password": "guess"}"#)
        }
        let limited = try await h.request(.post, "/api/v1/session", as: .anonymous, json: #"{"email": "admin@example.se", "password": "\#(Harness.password)"}"#)
        #expect(limited.status == .tooManyRequests && limited.headers[.retryAfter] != nil)
        // Another account is not locked by it.
        let other = try await h.request(
            .post, "/api/v1/session", as: .anonymous, json: #"{"email": "auditor@example.se", "password": "\#(Harness.password)", "code": "\#(h.code())"}"#)
        #expect(other.status == .ok)
    }

    @Test func revokedTokensStopWorkingAndTokensAreStoredHashed() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let admin = try await h.session(for: "admin@example.se")  // Haninge's
        let created = try await h.request(
            .post, "/api/v1/tokens", as: .session(cookie: admin.cookie, csrf: admin.csrf), json: #"{"organisation": "\#(Org.haninge)", "name": "Haninge VS"}"#)
        #expect(created.status == .created)
        let secret = try #require(created.json["token"] as? String)
        let id = try #require(created.json["id"] as? Int)
        #expect(try await h.request(.get, "/api/v1/agreements", as: .token(secret)).status == .ok)
        let stored = try await h.store.transaction { try await $0.query("SELECT token_hash FROM api_tokens") }
        #expect(!stored.contains { $0["token_hash"].text == secret })
        let list = try await h.request(.get, "/api/v1/tokens", as: .session(cookie: admin.cookie, csrf: nil))
        #expect(!list.text.contains(secret))
        #expect(try await h.request(.delete, "/api/v1/tokens/\(id)", as: .session(cookie: admin.cookie, csrf: admin.csrf)).status == .noContent)
        #expect(try await h.request(.get, "/api/v1/agreements", as: .token(secret)).status == .unauthorized)
        #expect(try await h.request(.delete, "/api/v1/tokens/\(id)", as: .session(cookie: admin.cookie, csrf: admin.csrf)).status == .notFound)
    }

    @Test func anIdempotencyKeyReplaysTheFirstAnswer() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let token = try await h.token(for: Org.haninge)
        let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "visit-42"]
        let first = try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own), headers: key)
        let again = try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own), headers: key)
        #expect(first.status == .created && again.status == .created && first.text == again.text)
        #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
        let other = try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.consented), headers: key)
        #expect(other.status == .unprocessableContent && other.errorCode == "idempotency_key_reused")
        #expect(try await h.store.counts()["registrations"] == 1)
        let creates = try await h.store.transaction { try await AuditLog.search(.init(action: "create"), in: $0) }
        #expect(creates.count == 1)
    }

    /// A record is read and checked before its key is looked at: a bad body is named as such
    /// even with a bad key, and a key used before does not hide what is wrong with a new body.
    @Test func aRecordsBodyIsCheckedBeforeItsIdempotencyKey() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let token = try await h.token(for: Org.haninge)
        let tooLong: HTTPFields = [HTTPField.Name("Idempotency-Key")!: String(repeating: "k", count: 201)]
        let notAnObject = try await h.request(.post, "/api/v1/participants", as: .token(token), json: "[1]", headers: tooLong)
        #expect(notAnObject.status == .badRequest)
        #expect(notAnObject.text.contains("the body must be a JSON object"))
        let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "visit-43"]
        let first = try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own), headers: key)
        #expect(first.status == .created)
        let invalid = try await h.request(.post, "/api/v1/participants", as: .token(token), json: #"{"personId": "19900101-2385", "sex": 1}"#, headers: key)
        #expect(invalid.status == .unprocessableContent && invalid.errorCode == "invalid")
    }

    @Test(arguments: Engine.available)
    func theAuditChainVerifiesAndDetectsTampering(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        _ = try await AccessMatrixTests.setUp(h)
        let tyreso = try await h.token(for: Org.tyreso)
        for _ in 0..<3 { _ = try await h.request(.get, "/api/v1/participants/\(People.consented)", as: .token(tyreso)) }
        let auditor = try await h.session(for: "auditor@example.se")
        let ok = try await h.request(.get, "/api/v1/audit/verify", as: .session(cookie: auditor.cookie, csrf: nil))
        #expect(ok.json["intact"] as? Bool == true)
        let total = try #require(ok.json["entries"] as? Int)
        #expect(total >= 3 + 3 + 6 + 3)
        let search = try await h.request(.get, "/api/v1/audit?action=read&personId=\(People.consented)", as: .session(cookie: auditor.cookie, csrf: nil))
        #expect((search.json["items"] as? [Any])?.count == 3)
        // Other roles cannot read the log.
        #expect(try await h.request(.get, "/api/v1/audit", as: .token(tyreso)).status == .forbidden)

        // Changing one entry's content is detected at that entry.
        try await h.store.transaction { try await $0.query("UPDATE audit_log SET actor = 'someone else' WHERE seq = 5") }
        var result = try await h.store.transaction { try await AuditLog.verify(in: $0) }
        #expect(result.problem == "entry 5 was changed after it was written")
        let tampered = try await h.request(.get, "/api/v1/audit/verify", as: .session(cookie: auditor.cookie, csrf: nil))
        #expect(tampered.json["intact"] as? Bool == false)
        // Re-hashing the changed entry without the key does not help: the chain is an HMAC.
        let row = try await h.store.transaction { try await AuditLog.search(.init(after: 4, limit: 1), in: $0) }.first!
        #expect(row.keyed)
        // The entry's identities as the chain takes them: salted digests (issue 22).
        let personSalt = try await h.store.read { try await $0.query("SELECT person_salt FROM audit_log WHERE seq = 5") }.first?["person_salt"].text
        let person = zip(row.draft.person.map { [$0.value] } ?? [], personSalt.flatMap(Chain.Salt.init(hex:)).map { [$0] } ?? []).map {
            Chain.person($0.0, salt: $0.1)
        }.first
        let subjects = try await h.store.read { try await $0.query("SELECT person_id, org_number, salt FROM audit_subjects WHERE seq = 5") }.map {
            Chain.subject(PersonParty(person: $0["person_id"].int!, org: $0["org_number"].int!), salt: Chain.Salt(hex: $0["salt"].text!)!)
        }
        let plain = AuditLog.chainHash(
            previous: row.previousHash, seq: row.seq, at: row.at, draft: row.draft, person: person, subjects: subjects, legacyHash: nil, key: nil)
        try await h.store.transaction { try await $0.query("UPDATE audit_log SET hash = $1 WHERE seq = 5", [.text(plain)]) }
        result = try await h.store.transaction { try await AuditLog.verify(in: $0) }
        #expect(result.problem == "entry 5 was changed after it was written")
        // Nor does turning it into a plain SHA-256 entry: the key covers every entry from 1.
        try await h.store.transaction { try await $0.query("UPDATE audit_log SET keyed = 0 WHERE seq = 5") }
        result = try await h.store.transaction { try await AuditLog.verify(in: $0) }
        #expect(result.problem == "entry 5 is not chained with the audit key, which chains every entry from 1")
        try await h.store.transaction { try await $0.query("UPDATE audit_log SET keyed = 1 WHERE seq = 5") }
        // Even with the key (and the entry's subjects), the next entry no longer follows it.
        let forged = AuditLog.chainHash(
            previous: row.previousHash, seq: row.seq, at: row.at, draft: row.draft, person: person, subjects: subjects, legacyHash: nil,
            key: Engine.auditKey)
        try await h.store.transaction { try await $0.query("UPDATE audit_log SET hash = $1 WHERE seq = 5", [.text(forged)]) }
        result = try await h.store.transaction { try await AuditLog.verify(in: $0) }
        #expect(result.problem == "entry 6 does not follow entry 5: its link was changed")
        // Deleting an entry is detected too.
        try await h.store.transaction {
            try await $0.query("DELETE FROM audit_subjects WHERE seq = 9")
            try await $0.query("DELETE FROM audit_log WHERE seq = 9")
        }
        result = try await h.store.transaction { try await AuditLog.verify(in: $0) }
        #expect(result.problem?.hasPrefix("entry 6") == true)
    }

    @Test func theOpenAPIDocumentDescribesExactlyTheRoutes() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let r = try await h.request(.get, "/api/v1/openapi.json", as: .anonymous)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(r.text.utf8)) as? [String: Any])
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var documented = Set<String>()
        for (path, item) in paths {
            for method in item.keys where ["get", "put", "post", "delete", "patch"].contains(method) { documented.insert("\(method.uppercased()) \(path)") }
        }
        // /metrics is not on this port: `samspar serve --metrics-port` serves it apart (issue 20).
        let served = Set(h.routes.map { "\($0.method) \($0.path)" })
        #expect(documented == served, "only documented: \(documented.subtracting(served)); only served: \(served.subtracting(documented))")
    }

    @Test func everyAnswerCarriesSecurityHeadersAndErrorsAreJSON() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let missing = try await h.request(.get, "/api/v1/nothing-here", as: .anonymous)
        #expect(missing.status == .notFound && missing.errorCode == "not_found")
        for reply in [missing, try await h.request(.get, "/health", as: .anonymous)] {
            #expect(reply.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            #expect(reply.headers[.xContentTypeOptions] == "nosniff")
            #expect(reply.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
        }
        let unauthenticated = try await h.request(.get, "/api/v1/agreements", as: .anonymous)
        #expect(unauthenticated.status == .unauthorized && unauthenticated.errorCode == "unauthenticated")
        let badToken = try await h.request(.get, "/api/v1/agreements", as: .token("forged"))
        #expect(badToken.status == .unauthorized)
        let token = try await h.token(for: Org.haninge)
        let notJSON = try await h.request(.post, "/api/v1/participants", as: .token(token), json: "{not json")
        #expect(notJSON.status == .badRequest && notJSON.errorCode == "bad_request")
        let big = String(repeating: "x", count: Limits.jsonBody + 10)
        let tooLarge = try await h.request(.post, "/api/v1/participants", as: .token(token), json: big)
        #expect(tooLarge.status == .contentTooLarge)
    }
}

/// Issue 7, part 7: the extremes of every input the API takes, and no crash from any.
@Suite("Extremes through the API")
struct APIExtremesTests {
    @Test func extremeInputsAreRefusedOrServedNeverFatal() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let token = try await h.token(for: Org.haninge)
        let coordinator = try await h.session(for: "coordinator@example.se")
        let asCoordinator = Harness.Caller.session(cookie: coordinator.cookie, csrf: coordinator.csrf)
        // Agreement numbers out of bounds: 422 naming the field; the server keeps serving.
        var document = String(decoding: Caseload.ostraSodertornDocument, as: UTF8.self)
        document = document.replacing(#""maxEstablishmentDays": 730"#, with: #""maxEstablishmentDays": 3000000000"#)
        let huge = try await h.request(.put, "/api/v1/agreements/ostra-sodertorn", as: asCoordinator, json: document)
        #expect(huge.status == .unprocessableContent && huge.text.contains("overallGoal.maxEstablishmentDays"), "\(huge.text)")
        let misspelt = try await h.request(
            .put, "/api/v1/agreements/ostra-sodertorn", as: asCoordinator,
            json: String(decoding: Caseload.ostraSodertornDocument, as: UTF8.self).replacing(#""maxEstablishmentDays""#, with: #""maxEstablishmentDay""#))
        #expect(misspelt.status == .unprocessableContent && misspelt.text.contains("maxEstablishmentDay"), "\(misspelt.text)")
        // The edges of the plausible range are accepted, one day beyond them refused.
        let edge = People.participantJSON(People.own).replacing("2018-01-15", with: "2099-12-31")
        #expect(try await h.request(.post, "/api/v1/participants", as: .token(token), json: edge).status == .created)
        let early = try await h.request(
            .post, "/api/v1/participants/\(People.own)/consents", as: .token(token), json: #"{"party": "\#(Org.tyreso)", "validFrom": "1900-01-01"}"#)
        #expect(early.status == .created, "\(early.text)")
        let late = try await h.request(
            .post, "/api/v1/participants/\(People.own)/consents", as: .token(token), json: #"{"party": "\#(Org.tyreso)", "validFrom": "1899-12-31"}"#)
        #expect(late.status == .unprocessableContent && late.text.contains("validFrom"), "\(late.text)")
        let beyond = People.participantJSON(People.consented).replacing("2018-01-15", with: "2100-01-01")
        let refused = try await h.request(.post, "/api/v1/participants", as: .token(token), json: beyond)
        #expect(refused.status == .unprocessableContent && refused.text.contains("registeredOn"), "\(refused.text)")
        let typo = People.participantJSON(People.consented).replacing("2017-01-01", with: "0217-01-01")
        #expect(try await h.request(.post, "/api/v1/participants", as: .token(token), json: typo).status == .unprocessableContent)
        // Reports at the edges of every parameter answer, or refuse with 400.
        for (year, asOf, status) in [
            ("1900", "1900-01-01", 200), ("2099", "2099-12-31", 200), ("2200", "2099-12-31", 200), ("1899", "2019-01-01", 400),
            ("2019", "0001-01-01", 400), ("2019", "9999-12-31", 400), ("99999999999999999999", "2019-01-01", 400),
        ] {
            let r = try await h.request(.get, "/api/v1/agreements/ostra-sodertorn/report?year=\(year)&asOf=\(asOf)", as: .token(token))
            #expect(Int(r.status.code) == status, "year \(year) asOf \(asOf): \(r.text)")
        }
        #expect(try await h.request(.get, "/health", as: .anonymous).status == .ok)
    }
}
