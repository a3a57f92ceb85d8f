import Foundation
import HTTPTypes
import SamsparTestSupport
import Testing

@testable import SamsparDomain
@testable import SamsparStore
@testable import SamsparWeb

/// Signing in with a Samspår account (issue 25): TOTP and recovery codes, what one factor
/// gives, the demo database, the set-up page, the admin's reset, a person's own sessions, and
/// the audit of every sign-in, failure and sign-out. Over real HTTP; expected values by hand.
@Suite("Signing in: second factor and sessions")
struct SignInTests {
    // MARK: RFC 6238 and RFC 4648 by their own test vectors

    /// RFC 6238 Appendix B (HMAC-SHA-1, key "12345678901234567890"): the 8-digit values'
    /// last six digits, which is what a six-digit code is.
    @Test func totpMatchesTheRFCsTestVectors() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        let vectors: [(TimeInterval, String)] = [
            (59, "287082"), (1_111_111_109, "081804"), (1_111_111_111, "050471"), (1_234_567_890, "005924"), (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ]
        for (t, code) in vectors { #expect(totp.code(at: Date(timeIntervalSince1970: t)) == code, "T=\(t)") }
        // A code of the step before or after is accepted (a phone's clock a little off); two away is not.
        #expect(totp.matchingStep("081804", at: Date(timeIntervalSince1970: 1_111_111_109 + 30)) == 37_037_036)
        #expect(totp.matchingStep("081804", at: Date(timeIntervalSince1970: 1_111_111_109 + 60)) == nil)
        #expect(totp.matchingStep("08180", at: Date(timeIntervalSince1970: 1_111_111_109)) == nil)
        #expect(totp.matchingStep("０８１８０４", at: Date(timeIntervalSince1970: 1_111_111_109)) == nil)
    }

    @Test func base32IsRFC4648s() {
        let vectors = [("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI")]
        for (plain, encoded) in vectors {
            #expect(Base32.encode(Array(plain.utf8)) == encoded)
            #expect(Base32.decode(encoded) == Array(plain.utf8))
        }
        #expect(Base32.decode("mzxw 6ytb oi======") == Array("foobar".utf8))
        #expect(Base32.decode("MZXW1") == nil)
        let uri = TOTP(secret: Array("foobar".utf8)).uri(account: "anna.svensson@haninge.example")
        #expect(uri == "otpauth://totp/Samsp%C3%A5r:anna.svensson%40haninge.example?secret=MZXW6YTBOI&issuer=Samsp%C3%A5r&algorithm=SHA1&digits=6&period=30")
    }

    /// The QR code is read back by a decoder that is not ours (zbar), at several versions.
    @Test func theQRCodeIsReadByZbar() throws {
        let zbar = "/usr/bin/zbarimg"
        #expect(FileManager.default.isExecutableFile(atPath: zbar), "zbarimg (Debian's zbar-tools) is needed; .ci/run installs it")
        let texts = [
            "A", "otpauth://totp/Samsp%C3%A5r:a%40b.se?secret=JBSWY3DPEHPK3PXP&issuer=Samsp%C3%A5r",
            TOTP(secret: Array(repeating: 7, count: 20)).uri(account: "handlaggare.med.ett.langt.namn@haninge.example"),
            String(repeating: "Samspår ", count: 40),
        ]
        // Byte capacities at level M (ISO/IEC 18004 Table 7): version 4 holds 62, 5 holds 84,
        // 8 holds 152, 9 holds 180, 13 holds 331, 14 holds 362; the texts are 1, 80, 170 and 360 bytes.
        let expectedVersions = [1, 5, 9, 14]
        #expect(texts.map(\.utf8.count) == [1, 80, 170, 360])
        for (text, version) in zip(texts, expectedVersions) {
            let code = try #require(QRCode(text: text))
            #expect(code.version == version, "\(text.prefix(20))")
            let file = TestFiles.directory.appendingPathComponent("qr-\(UUID().uuidString).pgm")
            try Data(code.pgm()).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: zbar)
            process.arguments = ["--raw", "-q", "-Sbinary", file.path]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            process.waitUntilExit()
            let read = out.fileHandleForReading.readDataToEndOfFile()
            #expect(process.terminationStatus == 0, "zbar read nothing at version \(version)")
            var bytes = [UInt8](read)
            if bytes.last == 10 { bytes.removeLast() }
            #expect(String(decoding: bytes, as: UTF8.self) == text)
        }
        #expect(QRCode(text: String(repeating: "x", count: 2_400)) == nil)
    }

    // MARK: Signing in with a password and a code

    func signIn(_ h: Harness, _ email: String, password: String = Harness.password, code: String?) async throws -> Harness.Reply {
        let codePart = code.map { #", "code": "\#($0)""# } ?? ""
        return try await h.request(.post, "/api/v1/session", as: .anonymous, json: #"{"email": "\#(email)", "password": "\#(password)"\#(codePart)}"#)
    }

    func cookie(_ reply: Harness.Reply) throws -> Harness.Caller {
        let set = try #require(reply.headers[.setCookie])
        return .session(cookie: String(set.split(separator: ";")[0]), csrf: reply.json["csrfToken"] as? String)
    }

    @Test(arguments: Engine.available)
    func anAccountWithASecondFactorNeedsAGoodUnusedCode(_ engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        let token = try await h.token(for: Org.haninge)
        #expect(try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own)).status == .created)

        let none = try await signIn(h, "cw.haninge@example.se", code: nil)
        #expect(none.status == .unauthorized && none.errorCode == "sign_in_failed")
        let wrong = try await signIn(h, "cw.haninge@example.se", code: "000000")
        #expect(wrong.status == .unauthorized && wrong.text == none.text)
        let code = h.code()
        let good = try await signIn(h, "cw.haninge@example.se", code: code)
        #expect(good.status == .ok, "\(good.text)")
        #expect(good.json["role"] as? String == "caseworker" && good.json["factors"] as? Int == 2 && good.json["heldRole"] == nil)
        #expect(try await h.request(.get, "/api/v1/participants/\(People.own)", as: try cookie(good)).status == .ok)
        // The same code, in the same step, is not accepted twice.
        let again = try await signIn(h, "cw.haninge@example.se", code: code)
        #expect(again.status == .unauthorized)
        #expect(
            try await h.auditEntries("sign-in-failed") == [
                "cw.haninge@example.se caseworker the password was right; no code was given",
                "cw.haninge@example.se caseworker the password was right; the code was wrong or used",
                "cw.haninge@example.se caseworker the password was right; the code was wrong or used",
            ])
        #expect(try await h.auditEntries("sign-in") == ["cw.haninge@example.se caseworker password+totp, 2 factors"])
        // A wrong password is not told apart from a wrong code, and an unknown account is not named.
        let unknown = try await signIn(h, "nobody@example.se", code: "123456")
        #expect(unknown.text == none.text)
        #expect(try await h.auditEntries("sign-in-failed").last == "unknown none no such account")
    }

    @Test func aRecoveryCodeWorksOnceAndTheSetUpPageGivesTen() async throws {
        let h = try await Harness()
        defer { Task { try? await h.close() } }
        let admin = try await h.session(for: "admin@example.se")
        // The admin makes an account: it has no second factor, and signs in with one.
        let made = try await h.request(
            .post, "/api/v1/users", as: .session(cookie: admin.cookie, csrf: admin.csrf),
            json: #"{"email": "ny.handlaggare@example.se", "organisation": "212000-0084", "role": "caseworker", "password": "\#(Harness.password)"}"#)
        #expect(made.status == .created, "\(made.text)")
        let first = try await signIn(h, "ny.handlaggare@example.se", code: nil)
        #expect(first.status == .ok && first.json["factors"] as? Int == 1 && first.json["role"] as? String == "analyst")
        #expect(first.json["heldRole"] as? String == "caseworker")
        let session = try cookie(first)
        guard case .session(let pair, let csrf) = session else { return }
        // The only extra page: setting up TOTP, with the QR code drawn on the server.
        let page = try await h.request(.get, "/konto/tvastegsverifiering", as: .session(cookie: pair, csrf: nil))
        #expect(page.status == .ok)
        #expect(page.text.contains("<svg xmlns=\"http://www.w3.org/2000/svg\"") && page.text.contains("autocomplete=\"one-time-code\""))
        let home = try await h.request(.get, "/", as: .session(cookie: pair, csrf: nil))
        #expect(home.text.contains("id=\"one-factor\"") && home.text.contains("Din roll som handläggare gäller när du loggar in med två steg."))
        let secret = try #require(page.text.firstMatch(of: /name="secret" value="([A-Z2-7 ]+)"/)?.1).replacing(" ", with: "")
        let totp = try #require(TOTP(base32: String(secret)))
        let wrong = try await PageTests().post(
            h, "/konto/tvastegsverifiering", as: (pair, csrf!), [("_csrf", csrf!), ("secret", String(secret)), ("code", "000000")])
        #expect(wrong.status == .unprocessableContent && wrong.text.contains("Koden stämmer inte"))
        let set = try await PageTests().post(
            h, "/konto/tvastegsverifiering", as: (pair, csrf!), [("_csrf", csrf!), ("secret", String(secret)), ("code", totp.code(at: h.clock.now))])
        #expect(set.status == .ok)
        let codes = set.text.matches(of: /<li><code>([A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4})<\/code><\/li>/).map { String($0.1) }
        #expect(codes.count == 10 && Set(codes).count == 10)
        // The session the person set it up in now counts two factors.
        let me = try await h.request(.get, "/api/v1/session", as: .session(cookie: pair, csrf: nil))
        #expect(me.json["factors"] as? Int == 2 && me.json["role"] as? String == "caseworker")
        // Now the password alone is not enough, and a recovery code works once.
        #expect(try await signIn(h, "ny.handlaggare@example.se", code: nil).status == .unauthorized)
        let recovered = try await signIn(h, "ny.handlaggare@example.se", code: codes[3].lowercased())
        #expect(recovered.status == .ok && recovered.json["factors"] as? Int == 2)
        #expect(try await signIn(h, "ny.handlaggare@example.se", code: codes[3]).status == .unauthorized)
        #expect(
            try await h.auditEntries("sign-in") == [
                "ny.handlaggare@example.se analyst password, 1 factor", "ny.handlaggare@example.se caseworker password+recovery-code, 2 factors",
            ])
        #expect(try await h.auditEntries("set-up-totp").count == 1)
    }

    /// SPEC §1: one factor gives what the analyst role gets, whatever the role held: an admin
    /// manages nobody, an auditor reads no log, a caseworker reads no person.
    @Test(arguments: Engine.available)
    func oneFactorGivesAnAnalystsPowers(_ engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        let token = try await h.token(for: Org.haninge)
        #expect(try await h.request(.post, "/api/v1/participants", as: .token(token), json: People.participantJSON(People.own)).status == .created)
        // The admin resets the second factor of three accounts (audited); their sessions end.
        let admin = try await h.session(for: "admin@example.se")
        let auditorSession = try await h.session(for: "auditor@example.se")
        let users = try await h.store.users(of: Org.haninge)
        for email in ["cw.haninge@example.se", "auditor@example.se"] {
            let id = try #require(users.first { $0.email == email }?.id)
            let reset = try await PageTests().post(h, "/konton/anvandare/\(id)/tvasteg", as: admin, [("_csrf", admin.csrf)])
            #expect(reset.status == .ok, "\(reset.text.prefix(300))")
        }
        #expect(try await h.request(.get, "/api/v1/session", as: .session(cookie: auditorSession.cookie, csrf: nil)).status == .unauthorized)
        let otherAdmin = try await h.store.addUser(
            email: "admin2@example.se", organisation: Org.haninge, role: .admin, passwordHash: try await Services.hashPassword(Harness.password, cost: 4),
            audit: AuditDraft(
                actor: "test", role: "admin", organisation: Org.haninge, action: "add-user", person: nil, channel: "test", detail: "", subjects: []),
            at: h.clock.now)
        #expect(otherAdmin > 0)
        #expect(try await h.auditEntries("reset-second-factor").count == 2)

        let cw = try cookie(try await signIn(h, "cw.haninge@example.se", code: nil))
        let auditor = try cookie(try await signIn(h, "auditor@example.se", code: nil))
        let admin1 = try cookie(try await signIn(h, "admin2@example.se", code: nil))
        #expect(try await h.request(.get, "/api/v1/participants/\(People.own)", as: cw).status == .forbidden)
        #expect(try await h.request(.get, "/api/v1/participants?q=Test", as: cw).status == .forbidden)
        #expect(try await h.request(.get, "/api/v1/audit", as: auditor).status == .forbidden)
        #expect(try await h.request(.get, "/api/v1/users", as: admin1).status == .forbidden)
        #expect(try await h.request(.get, "/deltagare", as: cw).status == .forbidden)
        // What an analyst gets, they get: the agreement, and no live figures (only closes and publications).
        #expect(try await h.request(.get, "/api/v1/agreements/ostra-sodertorn", as: cw).status == .ok)
        let report = try await h.request(.get, "/api/v1/agreements/ostra-sodertorn/report?year=2019", as: cw)
        #expect(report.status == .forbidden && report.errorCode == "figures_not_live", "\(report.text)")
        // The same people with two factors have their roles.
        let cw2 = try cookie(try await signIn(h, "coordinator@example.se", code: h.code()))
        #expect(try await h.request(.get, "/api/v1/session", as: cw2).json["role"] as? String == "coordinator")
        // A token is not a person and is unaffected.
        #expect(try await h.request(.get, "/api/v1/participants/\(People.own)", as: .token(token)).status == .ok)
    }

    @Test(arguments: Engine.available)
    func onlyADemoDatabaseLetsAnAccountWithoutASecondFactorInAsWithTwo(_ engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        let hash = try await Services.hashPassword(Harness.password, cost: 4)
        let draft = AuditDraft(
            actor: "test", role: "admin", organisation: Org.haninge, action: "add-user", person: nil, channel: "test", detail: "", subjects: [])
        _ = try await h.store.addUser(
            email: "demo.cw@example.se", organisation: Org.haninge, role: .caseworker, passwordHash: hash, audit: draft, at: h.clock.now)
        let before = try await signIn(h, "demo.cw@example.se", code: nil)
        #expect(before.json["factors"] as? Int == 1 && before.json["role"] as? String == "analyst")
        #expect(try await h.request(.get, "/", as: try cookie(before)).text.contains("demo-banner") == false)
        try await h.store.markDemo(at: h.clock.now)
        // A running server remembers "no demo" for a minute (every page asks).
        let soon = try await signIn(h, "demo.cw@example.se", code: nil)
        #expect(soon.json["factors"] as? Int == 1)
        h.clock.set(h.clock.now.addingTimeInterval(61))
        let after = try await signIn(h, "demo.cw@example.se", code: nil)
        #expect(after.json["factors"] as? Int == 2 && after.json["role"] as? String == "caseworker")
        let home = try await h.request(.get, "/", as: try cookie(after))
        #expect(home.text.contains("Det här är en demodatabas med påhittade uppgifter."))
        let signInPage = try await h.request(.get, "/logga-in", as: .anonymous)
        #expect(signInPage.text.contains("id=\"demo-banner\""))
        // An account with a second factor still needs its code in a demo.
        #expect(try await signIn(h, "cw.haninge@example.se", code: nil).status == .unauthorized)
        #expect(
            try await h.auditEntries("sign-in") == [
                "demo.cw@example.se analyst password, 1 factor", "demo.cw@example.se analyst password, 1 factor",
                "demo.cw@example.se caseworker demo, 2 factors",
            ])
    }

    // MARK: A person's own sessions

    @Test(arguments: Engine.available)
    func aPersonSeesAndEndsTheirOwnSessionsOnly(_ engine: Engine) async throws {
        let h = try await Harness(engine: engine)
        defer { Task { try? await h.close() } }
        let one = try cookie(try await signIn(h, "cw.haninge@example.se", code: h.code()))
        let two = try cookie(try await signIn(h, "cw.haninge@example.se", code: h.code()))
        let other = try cookie(try await signIn(h, "cw.tyreso@example.se", code: h.code()))
        guard case .session(let pair, let csrf) = one, case .session(let otherPair, let otherCSRF) = other else { return }
        let page = try await h.request(.get, "/konto/sessioner", as: .session(cookie: pair, csrf: nil))
        #expect(page.status == .ok)
        let handles = page.text.matches(of: /\/konto\/sessioner\/([0-9a-f]{16})\/avsluta/).map { String($0.1) }
        #expect(handles.count == 2)
        #expect(page.text.components(separatedBy: "lösenord och kod från app, två steg").count == 3)
        #expect(page.text.components(separatedBy: "(den här)").count == 2)
        let otherPage = try await h.request(.get, "/konto/sessioner", as: .session(cookie: otherPair, csrf: nil))
        let otherHandle = try #require(otherPage.text.firstMatch(of: /\/konto\/sessioner\/([0-9a-f]{16})\/avsluta/)?.1)
        // Another person's session is not one's own to end: the same 404 as none.
        let refused = try await PageTests().post(h, "/konto/sessioner/\(otherHandle)/avsluta", as: (pair, csrf!), [("_csrf", csrf!)])
        #expect(refused.status == .notFound)
        #expect(try await h.request(.get, "/api/v1/session", as: other).status == .ok)
        // Ending the other of one's own: it is gone, this one stays.
        let currentRow = try #require(page.text.components(separatedBy: "<tr>").first { $0.contains("(den här)") })
        let currentHandle = try #require(currentRow.firstMatch(of: /\/konto\/sessioner\/([0-9a-f]{16})\/avsluta/)?.1)
        let otherOwn = try #require(handles.first { $0 != String(currentHandle) })
        let ended = try await PageTests().post(h, "/konto/sessioner/\(otherOwn)/avsluta", as: (pair, csrf!), [("_csrf", csrf!)])
        #expect(ended.status == .ok && ended.text.contains("Inloggningen är avslutad."))
        let alive = [try await h.request(.get, "/api/v1/session", as: one).status, try await h.request(.get, "/api/v1/session", as: two).status]
        #expect(alive.filter { $0 == .ok }.count == 1)
        #expect(try await h.auditEntries("end-session").count == 1)
        // Signing out is audited.
        _ = try await h.request(.delete, "/api/v1/session", as: .session(cookie: otherPair, csrf: otherCSRF))
        #expect(try await h.auditEntries("sign-out") == ["cw.tyreso@example.se caseworker "])
    }
}
