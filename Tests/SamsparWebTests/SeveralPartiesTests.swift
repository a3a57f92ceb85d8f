import Foundation
import HTTPTypes
import SamsparDomain
import SamsparTestSupport
import Testing

@testable import SamsparStore
@testable import SamsparWeb

/// Issue 7, "Done when": two parties, one person, and the escalations that must not work.
@Suite("One system, several parties (issue 7)")
struct SeveralPartiesTests {
    static let person = "199001012385"
    static let shown = "19900101-2385"

    static func participants(municipality: String = "0136", sex: String = "", given: String, permit: String, registered: String, exited: String = "")
        -> String
    {
        """
        person_id;given_name;family_name;sex;municipality;first_permit_date;registered_on;exited_on;exit_reason;upper_secondary_completed;education_level
        \(person);\(given);Testsson;\(sex);\(municipality);\(permit);\(registered);\(exited);;no;
        """
    }

    /// Haninge's and Arbetsförmedlingen's case systems both register one person and record
    /// their own events and activities. Each sees only its own records without consent, both
    /// with it; the report counts the person once.
    @Test(arguments: Engine.available)
    func twoCaseSystemsOnePerson(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let haninge = try await h.token(for: Org.haninge, name: "Haninge VS")
        let af = try await h.token(for: Org.employmentService, name: "AF VS")
        // Haninge (the municipality) knows a later permit date; Arbetsförmedlingen registered first.
        let files: [(String, String, String, Int)] = [
            (haninge, "participants", Self.participants(given: "Amina", permit: "2017-01-01", registered: "2018-02-01"), 1),
            (af, "participants", Self.participants(given: "Amena", permit: "2016-12-01", registered: "2018-01-10"), 1),
            (haninge, "activities", "person_id;activity;start;end;hours_per_week;provider\n\(Self.person);sfi;2018-02-05;2018-06-30;15;Haninge Vux\n", 1),
            (af, "events", "person_id;track;event;date\n\(Self.person);vard;invited;2018-03-01\n\(Self.person);vard;attended;2018-03-10\n", 2),
            (haninge, "events", "person_id;track;event;date\n\(Self.person);vard;accepted;2018-03-20\n", 1),
            (af, "activities", "person_id;activity;start;end;hours_per_week;provider\n\(Self.person);job_search;2018-02-01;;;AF Haninge\n", 1),
        ]
        for (token, kind, body, rows) in files {
            let r = try await h.request(.post, "/api/v1/imports/\(kind)", as: .token(token), csv: body)
            #expect(r.status == .ok, "\(kind): \(r.text)")
            #expect(r.json["imported"] as? Int == rows, "\(kind)")
        }
        // Without consent: each party its own registration and records, and nothing else.
        let hv = try await h.request(.get, "/api/v1/participants/\(Self.person)", as: .token(haninge))
        #expect(hv.json["givenName"] as? String == "Amina")
        #expect(Self.parties(hv, "registrations", key: "party") == [Org.haninge.description])
        #expect(Self.parties(hv, "events", key: "recordedBy") == [Org.haninge.description])
        #expect(Self.parties(hv, "activities", key: "recordedBy") == [Org.haninge.description])
        let av = try await h.request(.get, "/api/v1/participants/\(Self.person)", as: .token(af))
        #expect(av.json["givenName"] as? String == "Amena")
        #expect(Self.parties(av, "registrations", key: "party") == [Org.employmentService.description])
        #expect(Self.parties(av, "events", key: "recordedBy") == [Org.employmentService.description, Org.employmentService.description])
        #expect(Self.parties(av, "activities", key: "recordedBy") == [Org.employmentService.description])
        // Tyresö registers the person too, and gives nobody consent.
        let tyreso = try await h.token(for: Org.tyreso, name: "Tyresö VS")
        #expect(
            try await h.request(
                .post, "/api/v1/imports/participants", as: .token(tyreso), csv: Self.participants(given: "T", permit: "2017-01-01", registered: "2018-05-01")
            )
            .status == .ok)
        // Each records consent for its own records, naming the other.
        #expect(
            try await h.request(.post, "/api/v1/participants/\(Self.person)/consents", as: .token(haninge), json: #"{"party": "\#(Org.employmentService)"}"#)
                .status == .created)
        // Haninge's consent opens Haninge's records to Arbetsförmedlingen, nothing of them to Tyresö.
        let tv = try await h.request(.get, "/api/v1/participants/\(Self.person)", as: .token(tyreso))
        #expect(Self.parties(tv, "registrations", key: "party") == [Org.tyreso.description])
        #expect(
            try await h.request(.post, "/api/v1/participants/\(Self.person)/consents", as: .token(af), json: #"{"party": "\#(Org.haninge)"}"#).status
                == .created)
        // With consent: both see both, each record marked with the party that made it, and the
        // person together follows SPEC §2: the municipality's name, the earliest registration.
        for token in [haninge, af] {
            // Tyresö's registration stays closed to both: no consent of Tyresö's names them.
            let v = try await h.request(.get, "/api/v1/participants/\(Self.person)", as: .token(token))
            #expect(Self.parties(v, "registrations", key: "party") == [Org.haninge.description, Org.employmentService.description])
            #expect(v.json["givenName"] as? String == "Amina")
            #expect(v.json["firstPermitDate"] as? String == "2017-01-01")
            #expect(v.json["registeredOn"] as? String == "2018-01-10")
            let events = (v.json["events"] as? [[String: Any]] ?? []).map { "\($0["event"] as? String ?? "") \($0["recordedBy"] as? String ?? "")" }
            #expect(events == ["invited 202100-2114", "attended 202100-2114", "accepted 212000-0084"])
            #expect(Self.parties(v, "activities", key: "recordedBy").sorted() == [Org.employmentService.description, Org.haninge.description].sorted())
        }
        // The report counts the person once; the AF's meeting and Haninge's acceptance both count.
        let report = try await h.request(.get, "/api/v1/agreements/ostra-sodertorn/report?year=2018&asOf=2019-06-30", as: .token(haninge))
        #expect((report.json["participants"] as? [String: Any])?["active"] as? Int == 1)
        let vard = (report.json["tracks"] as? [[String: Any]])?.first { $0["code"] as? String == "vard" }
        #expect(vard?["invited"] as? Int == 1 && vard?["attended"] as? Int == 1 && vard?["accepted"] as? Int == 1)
        #expect(vard?["acceptanceShare"] as? Double == 1.0)
    }

    static func parties(_ reply: Harness.Reply, _ list: String, key: String) -> [String] {
        (reply.json[list] as? [[String: Any]] ?? []).compactMap { $0[key] as? String }
    }

    /// A coordinator cannot become a municipality, nor touch another collaboration's agreement.
    @Test(arguments: Engine.available)
    func aCoordinatorCannotRewriteTheRegistryOrOthersAgreements(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        let haninge = try await h.token(for: Org.haninge)
        #expect(
            try await h.request(
                .post, "/api/v1/imports/participants", as: .token(haninge), csv: Self.participants(given: "A", permit: "2017-01-01", registered: "2018-01-10")
            )
            .status == .ok)
        let coordinator = try await h.session(for: "coordinator@example.se")
        let caller = Harness.Caller.session(cookie: coordinator.cookie, csrf: coordinator.csrf)
        // Their own organisation as municipality 0136, Haninge as `other`: refused, naming the party.
        let escalation = Self.draft(
            id: "annat-samarbete",
            parties: [
                (Org.association.description, "municipality", "0136"), (Org.haninge.description, "other", nil),
            ])
        let r1 = try await h.request(.put, "/api/v1/agreements/annat-samarbete", as: caller, json: escalation)
        #expect(r1.status == .unprocessableContent, "\(r1.text)")
        #expect(r1.text.contains("parties[0] (222000-2162)") && r1.text.contains("kind coordination_association"))
        // And still no access to Haninge's people.
        #expect(try await h.request(.get, "/api/v1/participants/\(Self.person)", as: caller).status == .notFound)
        // An agreement without their organisation: refused.
        let notTheirs = Self.draft(id: "utan-oss", parties: [(Org.haninge.description, "municipality", "0136")])
        #expect(try await h.request(.put, "/api/v1/agreements/utan-oss", as: caller, json: notTheirs).status == .forbidden)
        // Östra Södertörn has the association as a party, so revising it is theirs to do; but
        // a revision keeps every party of the signed agreement (issue 9: a party leaves by its
        // own notice, not by another's draft).
        let narrowed = Self.draft(id: "ostra-sodertorn", parties: [(Org.association.description, "coordination_association", nil)])
        let dropped = try await h.request(.put, "/api/v1/agreements/ostra-sodertorn", as: caller, json: narrowed)
        #expect(dropped.status == .unprocessableContent)
        #expect(dropped.text.contains("Arbetsförmedlingen Östra Södertörn (202100-2114) is a party to the signed agreement"))
        let revision = Self.draft(
            id: "ostra-sodertorn",
            parties: [
                (Org.employmentService.description, "employment_service", nil), (Org.association.description, "coordination_association", nil),
                (Org.haninge.description, "municipality", "0136"), (Org.nynashamn.description, "municipality", "0192"),
                (Org.tyreso.description, "municipality", "0138"),
            ])
        #expect(try await h.request(.put, "/api/v1/agreements/ostra-sodertorn", as: caller, json: revision).status == .ok)
        // Signatures are recorded by signing, never asserted in a coordinator's document.
        let forged = String(decoding: Caseload.ostraSodertornDocument, as: UTF8.self).replacing("2018-11-30", with: "2019-11-30")
        let refused = try await h.request(.put, "/api/v1/agreements/ostra-sodertorn", as: caller, json: forged)
        #expect(refused.status == .unprocessableContent)
        #expect(refused.text.contains("each party signs through Samspår"))
        // Another collaboration's existing agreement, even listing themselves: refused.
        let store = h.store
        _ = try await store.importAgreement(
            try Agreement.parse(json: Data(Self.draft(id: "norra", parties: [(Org.tyreso.description, "municipality", "0138")]).utf8)),
            document: Data(Self.draft(id: "norra", parties: [(Org.tyreso.description, "municipality", "0138")]).utf8), importedAt: Date())
        let hijack = Self.draft(id: "norra", parties: [(Org.association.description, "coordination_association", nil)])
        let r4 = try await h.request(.put, "/api/v1/agreements/norra", as: caller, json: hijack)
        #expect(r4.status == .forbidden, "\(r4.text)")
        #expect(try await store.agreementVersions(id: "norra").count == 1)
        // The registry is as the operator left it.
        let association = try await store.read { try await Organisations.find(Org.association, in: $0) }
        #expect(association?.kind == .coordinationAssociation && association?.municipalityCode == nil)
        let haningeOrg = try await store.read { try await Organisations.find(Org.haninge, in: $0) }
        #expect(haningeOrg?.kind == .municipality)
    }

    static func draft(id: String, parties: [(String, String, String?)]) -> String {
        let list = parties.map { p in
            #"{"orgNumber": "\#(p.0)", "name": "Part \#(p.0)", "kind": "\#(p.1)"\#(p.2.map { #", "municipalityCode": "\#($0)""# } ?? "")}"#
        }.joined(separator: ", ")
        return """
            {"id": "\(id)", "title": "Utkast", "validFrom": "2019-01-01", "parties": [\(list)],
             "tracks": [{"code": "t1", "name": "Spår", "kind": "vocational"}], "status": "draft"}
            """
    }

    /// An admin manages their own organisation's accounts only.
    @Test(arguments: Engine.available)
    func anAdminCannotCrossParties(engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        let admin = try await h.session(for: "admin@example.se")  // Haninge
        let caller = Harness.Caller.session(cookie: admin.cookie, csrf: admin.csrf)
        let foreign = try await h.request(.post, "/api/v1/tokens", as: caller, json: #"{"organisation": "\#(Org.tyreso)", "name": "x"}"#)
        #expect(foreign.status == .forbidden)
        let foreignUser = try await h.request(
            .post, "/api/v1/users", as: caller,
            json: #"{"email": "x@tyreso.se", "organisation": "\#(Org.tyreso)", "role": "caseworker", "password": "\#(Harness.password)"}"#)
        #expect(foreignUser.status == .forbidden)
        let own = try await h.request(.post, "/api/v1/tokens", as: caller, json: #"{"name": "Haninges system"}"#)
        #expect(own.status == .created && own.json["organisation"] as? String == Org.haninge.description)
        // Lists hold their own organisation only.
        let users = try await h.request(.get, "/api/v1/users", as: caller)
        #expect(Set((users.json["items"] as? [[String: Any]] ?? []).compactMap { $0["organisation"] as? String }) == [Org.haninge.description])
        // Another organisation's token or user: not listed, and the same 404 as none at all.
        _ = try await h.token(for: Org.tyreso, name: "Tyresö VS")
        let tokens = try await h.request(.get, "/api/v1/tokens", as: caller)
        #expect((tokens.json["items"] as? [[String: Any]] ?? []).compactMap { $0["organisation"] as? String } == [Org.haninge.description])
        let tyresoTokenID = try #require(
            try await h.store.read { try await $0.query("SELECT id FROM api_tokens WHERE org_number = $1", [.int(Org.tyreso.value)]) }.first?["id"].int)
        #expect(try await h.request(.delete, "/api/v1/tokens/\(tyresoTokenID)", as: caller).status == .notFound)
        #expect(try await h.store.read { try await Rows.tokens(of: Org.tyreso, in: $0) }.first?.revokedAt == nil)
        let tyresoUser = try await h.store.read { try await Rows.user(email: "cw.tyreso@example.se", in: $0) }!
        let tyresoSession = try await h.session(for: "cw.tyreso@example.se")
        #expect(try await h.request(.post, "/api/v1/users/\(tyresoUser.id)/disable", as: caller).status == .notFound)
        // …and it does not even end that user's sessions.
        #expect(try await h.request(.get, "/api/v1/session", as: .session(cookie: tyresoSession.cookie, csrf: nil)).status == .ok)
        #expect(
            try await h.request(.post, "/api/v1/users/\(tyresoUser.id)/password", as: caller, json: #"{"password": "a new long password"}"#).status
                == .notFound)
        // Their own caseworker: disabled, and enabled again; a password reset ends sessions.
        let haningeUser = try await h.store.read { try await Rows.user(email: "cw.haninge@example.se", in: $0) }!
        let cw = try await h.session(for: "cw.haninge@example.se")
        #expect(try await h.request(.post, "/api/v1/users/\(haningeUser.id)/disable", as: caller).status == .ok)
        #expect(try await h.request(.get, "/api/v1/session", as: .session(cookie: cw.cookie, csrf: nil)).status == .unauthorized)
        #expect(try await h.request(.post, "/api/v1/users/\(haningeUser.id)/enable", as: caller).status == .ok)
        #expect(
            try await h.request(.post, "/api/v1/users/\(haningeUser.id)/password", as: caller, json: #"{"password": "a new long password"}"#).status == .ok)
        let signIn = try await h.request(
            .post, "/api/v1/session", as: .anonymous, json: #"{"email": "cw.haninge@example.se", "password": "a new long password", "code": "\#(h.code())"}"#)
        #expect(signIn.status == .ok)
        // Every act, refusals included, is in the log.
        let actions = try await h.store.read { try await AuditLog.search(.init(actor: "admin@example.se"), in: $0) }.map(\.draft.action)
        #expect(
            actions == [
                "refused", "refused", "create-token", "refused", "refused", "refused", "disable-user", "enable-user", "reset-password",
            ])
    }

    /// Users, tokens and the audit log, called by every role that may not: 403, literally.
    @Test func accountsAndAuditRefuseEveryOtherRole() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let token = try await h.token(for: Org.haninge)
        var callers: [(String, Harness.Caller)] = [("system", .token(token))]
        for email in ["cw.haninge@example.se", "coordinator@example.se", "analyst@example.se", "auditor@example.se", "admin@example.se"] {
            let s = try await h.session(for: email)
            callers.append((email, .session(cookie: s.cookie, csrf: s.csrf)))
        }
        // caller → [users, tokens, audit, audit/verify, disagreements]
        let expected: [String: [Int]] = [
            "system": [403, 403, 403, 403, 403],
            "cw.haninge@example.se": [403, 403, 403, 403, 403],
            "coordinator@example.se": [403, 403, 403, 403, 200],
            "analyst@example.se": [403, 403, 403, 403, 403],
            "auditor@example.se": [403, 403, 200, 200, 403],
            "admin@example.se": [200, 200, 403, 403, 403],
        ]
        for (name, caller) in callers {
            var got: [Int] = []
            for path in ["/api/v1/users", "/api/v1/tokens", "/api/v1/audit", "/api/v1/audit/verify", "/api/v1/disagreements"] {
                got.append(Int(try await h.request(.get, path, as: caller).status.code))
            }
            #expect(got == expected[name], "\(name)")
            let create = try await h.request(.post, "/api/v1/tokens", as: caller, json: #"{"name": "x"}"#)
            #expect(Int(create.status.code) == (name == "admin@example.se" ? 201 : 403), "\(name) creates a token")
        }
    }

    /// An auditor sees their own organisation's share of the log, and their reading is logged.
    @Test func anAuditorSeesTheirOrganisationsShareAndIsAuditedToo() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let haninge = try await h.token(for: Org.haninge, name: "Haninge VS")
        let af = try await h.token(for: Org.employmentService, name: "AF VS")
        let tyreso = try await h.token(for: Org.tyreso, name: "Tyresö VS")
        for token in [haninge, af] {
            #expect(
                try await h.request(
                    .post, "/api/v1/imports/participants", as: .token(token), csv: Self.participants(given: "A", permit: "2017-01-01", registered: "2018-01-10")
                )
                .status == .ok)
        }
        _ = try await h.request(.get, "/api/v1/participants/\(Self.person)", as: .token(tyreso))  // refused, Tyresö's act
        _ = try await h.request(.get, "/api/v1/participants/\(Self.person)", as: .token(haninge))  // a read of Haninge's records
        let auditor = try await h.session(for: "auditor@example.se")  // Haninge
        let log = try await h.request(.get, "/api/v1/audit", as: .session(cookie: auditor.cookie, csrf: nil))
        let actors = (log.json["items"] as? [[String: Any]] ?? []).compactMap { $0["actor"] as? String }
        #expect(actors.contains("token:Haninge VS"))
        #expect(!actors.contains("token:AF VS"))
        #expect(!actors.contains("token:Tyresö VS"))
        let own = try await h.store.read { try await AuditLog.search(.init(actor: "auditor@example.se"), in: $0) }
        // One entry per search (issue 19), naming each person it showed: found by the person.
        #expect(own.map(\.draft.action) == ["audit-search"])
        #expect(own.first?.draft.detail.hasSuffix(", 1 people") == true)
        let person = try Personnummer(Self.shown, currentYear: 2019)
        let aboutPerson = try await h.store.read { try await AuditLog.search(.init(person: person, actor: "auditor@example.se"), in: $0) }
        #expect(aboutPerson.map(\.draft.action) == ["audit-search"])
    }

    /// The samordningsförbund's coordinator sees where registrations disagree, for the people
    /// whose consent lets them see two registrations or more, and counts nobody else.
    @Test func aCoordinatorSeesDisagreements() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        h.setDay("2019-06-30")
        let haninge = try await h.token(for: Org.haninge)
        let af = try await h.token(for: Org.employmentService)
        let other = "199009132391"
        // Haninge and Arbetsförmedlingen also disagree on the other person's name, which the
        // coordinator may not see: it is neither shown nor counted (SPEC §3, issue 17).
        for (token, given, permit, otherName) in [(haninge, "Amina", "2017-01-01", "B"), (af, "Amena", "2016-12-01", "D")] {
            let body =
                Self.participants(given: given, permit: permit, registered: "2018-01-10") + "\n" + "\(other);\(otherName);C;;0136;2017-02-01;2018-01-10;;;no;"
            #expect(try await h.request(.post, "/api/v1/imports/participants", as: .token(token), csv: body).status == .ok)
        }
        for token in [haninge, af] {
            #expect(
                try await h.request(.post, "/api/v1/participants/\(Self.person)/consents", as: .token(token), json: #"{"party": "\#(Org.association)"}"#)
                    .status == .created)
        }
        // The samordningsförbund registers the other person under a made-up name: it sees only
        // its own registration of them, so nothing is counted and it learns nothing about who
        // else holds them.
        let association = try await h.token(for: Org.association)
        #expect(
            try await h.request(
                .post, "/api/v1/imports/participants", as: .token(association),
                csv:
                    "person_id;given_name;municipality;first_permit_date;registered_on;upper_secondary_completed\n\(other);Probe;0136;2017-02-01;2018-01-10;no\n"
            ).status == .ok)
        let coordinator = try await h.session(for: "coordinator@example.se")
        let r = try await h.request(.get, "/api/v1/disagreements", as: .session(cookie: coordinator.cookie, csrf: nil))
        #expect(r.status == .ok)
        #expect(r.json["counts"] as? [String: Int] == ["firstPermitDate": 1, "givenName": 1])
        let items = (r.json["items"] as? [[String: Any]] ?? []).map { "\($0["personId"] as? String ?? "") \($0["attribute"] as? String ?? "")" }
        #expect(items == ["\(Self.shown) givenName", "\(Self.shown) firstPermitDate"])
        let values = ((r.json["items"] as? [[String: Any]])?.first?["values"] as? [[String: Any]] ?? []).map {
            "\($0["party"] as? String ?? "")=\($0["value"] as? String ?? "")"
        }
        #expect(values == ["212000-0084=Amina", "202100-2114=Amena"])
    }
}

/// Issue 7, part 8: behind a reverse proxy the sign-in limits count the client's address.
@Suite("Trusted proxies")
struct TrustedProxyTests {
    @Test func theNearestUntrustedAddressCounts() {
        let services = Services(store: DummyStore(), trustedProxies: ["127.0.0.1", "10.0.0.9"])
        #expect(services.clientAddress(peer: "127.0.0.1", forwardedFor: "203.0.113.7") == "203.0.113.7")
        // The client may put anything first; the proxies' own hops are skipped from the right.
        #expect(services.clientAddress(peer: "127.0.0.1", forwardedFor: "1.1.1.1, 203.0.113.7, 10.0.0.9") == "203.0.113.7")
        // From an address that is not a trusted proxy the header counts for nothing.
        #expect(services.clientAddress(peer: "198.51.100.1", forwardedFor: "203.0.113.7") == "198.51.100.1")
        #expect(services.clientAddress(peer: "127.0.0.1", forwardedFor: nil) == "127.0.0.1")
        #expect(Services(store: DummyStore()).clientAddress(peer: "127.0.0.1", forwardedFor: "203.0.113.7") == "127.0.0.1")
    }

    @Test func theSignInLimitIsPerClientBehindTheProxy() async throws {
        let h = try await Harness(trustedProxies: ["127.0.0.1", "::1"])
        defer { Task { try? await h.close() } }
        func attempt(_ email: String, from client: String) async throws -> Harness.Reply {
            try await h.request(
                .post, "/api/v1/session", as: .anonymous, json: #"{"email": "\#(email)", "password": "wrong password here"}"#,
                headers: [HTTPField.Name("X-Forwarded-For")!: client])
        }
        // 20 failures from one client, each for another account (so no account limit applies).
        for i in 0..<20 { #expect(try await attempt("nobody\(i)@example.se", from: "203.0.113.7").status == .unauthorized) }
        // Over its limit, the client is refused on every account it failed on (issue 20)…
        #expect(try await attempt("nobody3@example.se", from: "203.0.113.7").status == .tooManyRequests)
        // …and gets one check on an account it has not tried, and no second.
        #expect(try await attempt("nobody-more@example.se", from: "203.0.113.7").status == .unauthorized)
        #expect(try await attempt("nobody-more@example.se", from: "203.0.113.7").status == .tooManyRequests)
        // Another client behind the same proxy is not limited by it.
        #expect(try await attempt("nobody-more@example.se", from: "203.0.113.8").status == .unauthorized)
    }
}

/// A store that is never called (for pure helpers of ``Services``).
struct DummyStore: SamsparStore {
    func migrate() async throws -> [Int] { [] }
    func importFile(_ kind: ImportKind, from source: ImportSource, currentYear: Int, scope: ImportScope, progress: (@Sendable (Int) -> Void)?)
        async throws -> ImportSummary
    { fatalError("not used") }
    var engine: StoreEngine { fatalError("not used") }
    func reportFacts(for agreement: Agreement, asOf: Day) async throws -> [RegisteredFacts] { fatalError("not used") }
    func reportInputs(forEach agreements: [Agreement], asOf: Day) async throws -> [ReportInput] { fatalError("not used") }
    func reclaimRemoved() async throws -> String { fatalError("not used") }
    func close() async throws {}
}
