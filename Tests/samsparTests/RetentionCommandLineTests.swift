import Foundation
import Testing

/// Issue 22 as the operator does it, on a database written by samspar at commit af55bca
/// (`scripts/make-chain-v1-fixture.sh`: the audit chain of version 1, which named identities
/// in the clear). Its head then was the one below, written down when the fixture was made.
@Suite("samspar retention and erase on a database from before")
struct RetentionCommandLineTests {
    static let headBefore = "45:ee365d8cf67a2f4832928d5985c2f944f1fb07dd90f4bfcc8b5eba72625b4955"
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func copyFixture(to cli: Samspar) throws {
        for (from, to) in [("chain-v1.sqlite", "samspar.sqlite"), ("chain-v1.sqlite.audit-key", "samspar.sqlite.audit-key")] {
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent(from), to: cli.directory.appendingPathComponent(to))
        }
    }

    @Test func theOldHeadVerifiesAndAnErasedPersonLeavesNoTrace() throws {
        let cli = try Samspar()
        try Self.copyFixture(to: cli)
        // Opening it migrates it: the chain is verified, rechained, and the old head still holds.
        let verified = try cli.run("audit", "verify", "--head", Self.headBefore)
        #expect(verified.status == 0 && verified.stdout.contains("46 poster"), "\(verified.stdout)\(verified.stderr)")

        // Ali is Haninge's alone (with a consent to Arbetsförmedlingen): erased, nothing of him stays.
        let erased = try cli.run("erase", "19900913-2391", "--org", "212000-0084", "--reason", "KS 2026/77 § 4")
        #expect(erased.status == 0, "\(erased.stderr)")
        #expect(erased.stdout.hasPrefix("Raderat (erased): registrations 1, track events 0, status changes 0, activities 0, consents 1\n"), "\(erased.stdout)")
        // Amina's registration at Haninge goes; Arbetsförmedlingen's registration of her stays.
        let amina = try cli.run("erase", "199001012385", "--org", "212000-0084", "--reason", "KS 2026/77 § 5")
        #expect(amina.stdout.hasPrefix("Raderat (erased): registrations 1, track events 2, status changes 0, activities 0, consents 0\n"), "\(amina.stdout)")

        // Not held by Haninge: the same answer whether Tyresö holds the person, or nobody does.
        let again = try cli.run("erase", "19900913-2391", "--org", "212000-0084", "--reason", "KS 2026/77 § 4")
        let elsewhere = try cli.run("erase", "19910515-2392", "--org", "212000-0084", "--reason", "KS 2026/77 § 4")
        let nobody = try cli.run("erase", "20000101-2384", "--org", "212000-0084", "--reason", "KS 2026/77 § 4")
        for result in [again, elsewhere, nobody] {
            #expect(result.status == 1)
            #expect(result.stderr == "samspar: 212000-0084 holds no registration of this person: nothing was erased / inget raderades\n")
        }
        #expect(try cli.run("audit", "verify", "--head", Self.headBefore).status == 0)

        // The removal list beside the key: one line per erased registration, naming nobody.
        let list = try String(contentsOf: cli.directory.appendingPathComponent("samspar.sqlite.audit-key.removed"), encoding: .utf8)
        #expect(list.split(separator: "\n").count == 2 && list.split(separator: "\n").allSatisfy { $0.count == 64 })
        // Neither the file nor its log holds Ali's number or name, nor Amina's name.
        for name in ["samspar.sqlite", "samspar.sqlite-wal"] {
            guard let bytes = FileManager.default.contents(atPath: cli.directory.appendingPathComponent(name).path) else { continue }
            for trace in ["199009132391", "19900913-2391", "Provsson", "Testsson"] {
                #expect(bytes.range(of: Data(trace.utf8)) == nil, "\(name) holds \(trace)")
            }
            #expect(bytes.range(of: Data([0x00, 0x2E, 0x55, 0xDE, 0x5F, 0x67])) == nil, "\(name) holds 199009132391 as an integer")
        }
        // Amina is still Arbetsförmedlingen's, by number.
        let file = try #require(FileManager.default.contents(atPath: cli.directory.appendingPathComponent("samspar.sqlite").path))
        #expect(file.range(of: Data([0x00, 0x2E, 0x55, 0x62, 0x78, 0xA1])) != nil, "Arbetsförmedlingen's registration of 199001012385")
    }

    @Test func aPlanAndARunAsTheOperatorWrites() throws {
        let cli = try Samspar()
        try Self.copyFixture(to: cli)
        let unset = try cli.run("retention", "plan", "--org", "212000-0084")
        #expect(
            unset.stdout.hasSuffix(
                "212000-0084 Haninge kommun: inget gallringsbeslut, gallras aldrig (no retention decision: nothing is ever removed)\n"),
            "\(unset.stdout)")
        let half = try cli.run("org", "update", "212000-0084", "--retention-years", "3")
        #expect(half.status == 1 && half.stderr.contains("needs both --retention-years and --retention-decision"))
        let set = try cli.run("org", "update", "212000-0084", "--retention-years", "3", "--retention-decision", "KS 2024/118 § 12")
        #expect(set.status == 0, "\(set.stderr)")
        // By hand: Haninge's registration of Amina (2017-01-10, events to 2018-01-25) is due on
        // 2018 + 3 + 1 = 2022-01-01; Ali's (2018-02-01; his consent from 2019-01-01 is no record)
        // on the same day. Arbetsförmedlingen and Tyresö have no decision.
        let plan = try cli.run("retention", "plan", "--org", "212000-0084")
        #expect(
            plan.stdout.hasSuffix(
                """
                212000-0084 Haninge kommun: 3 år enligt KS 2024/118 § 12 (years under the decision)
                  registreringar (registrations): 2, äldsta (oldest) 2017-01-10
                  spårhändelser (track events): 2, äldsta (oldest) 2018-01-15
                  statusändringar (status changes): 0
                  aktiviteter (activities): 0
                  samtycken (consents): 1, äldsta (oldest) 2019-01-01

                """), "\(plan.stdout)")
        let run = try cli.run("retention", "run")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(
            run.stdout.contains(
                "212000-0084 Haninge kommun: borttaget (removed) registrations 2, track events 2, status changes 0, activities 0, consents 1\n"),
            "\(run.stdout)")
        #expect(run.stdout.contains("Utgångna inloggningar (expired sessions): 0; sparade svar äldre än 24 timmar (stored answers): 0\n"))
        #expect(run.stdout.contains("Databasen: the file was rewritten (VACUUM) and its write-ahead log emptied"))
        let after = try cli.run("retention", "plan", "--org", "212000-0084")
        #expect(after.stdout.contains("  registreringar (registrations): 0\n"))
        #expect(try cli.run("audit", "verify", "--head", Self.headBefore).status == 0)
    }

    /// Issue 23: `samspar extract`, the operator's register extract, on the same database:
    /// Arbetsförmedlingen's extract of Amina has its own registration and acts, none of
    /// Haninge's (her events are Haninge's).
    @Test func anExtractFromTheCommandLine() throws {
        let cli = try Samspar()
        try Self.copyFixture(to: cli)
        let path = cli.directory.appendingPathComponent("utdrag.json").path
        let made = try cli.run("extract", "19900101-2385", "--org", "202100-2114", "--output", path)
        #expect(made.status == 0, "\(made.stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        #expect(json["holds"] as? Bool == true)
        let registration = try #require(json["registration"] as? [String: Any])
        #expect((registration["registrations"] as? [[String: Any]])?.map { $0["party"] as? String } == ["202100-2114"])
        #expect((registration["events"] as? [Any])?.isEmpty == true)
        let log = try #require(json["accessLog"] as? [[String: Any]])
        #expect(
            log.map { "\($0["organisation"] as? String ?? "-") \($0["role"] as? String ?? "-") \($0["action"] as? String ?? "-")" } == [
                "202100-2114 system create", "202100-2114 system read",
            ])
        // Haninge's: its registration with the two events, and Haninge's own read.
        let haninge = try cli.run("extract", "19900101-2385", "--org", "212000-0084")
        let other = try #require(try JSONSerialization.jsonObject(with: Data(haninge.stdout.utf8)) as? [String: Any])
        #expect(((other["registration"] as? [String: Any])?["events"] as? [Any])?.count == 2)
        // Protected identity from the command line (issue 23, part 2): the participants file's
        // `protected` column marks Haninge's registration of Ali; an empty cell leaves the mark,
        // only `no` removes it; his extract says it, and each change is in the log.
        func mark(_ value: String) throws -> Bool? {
            let file = try cli.write(
                "ali.csv",
                "person_id;given_name;family_name;municipality;first_permit_date;registered_on;upper_secondary_completed;protected\n"
                    + "19900913-2391;Ali;Provsson;0136;2016-05-01;2018-02-01;no;\(value)\n")
            let imported = try cli.run("import", "participants", file, "--org", "212000-0084")
            #expect(imported.status == 0, "\(imported.stderr)")
            let extract = try cli.run("extract", "19900913-2391", "--org", "212000-0084")
            let json = try JSONSerialization.jsonObject(with: Data(extract.stdout.utf8)) as? [String: Any]
            return ((json?["registration"] as? [String: Any])?["registrations"] as? [[String: Any]])?.first?["protected"] as? Bool
        }
        #expect(try mark("yes") == true)
        #expect(try mark("") == true)
        #expect(try mark("no") == false)
        let refused = try cli.run(
            "import", "participants",
            try cli.write(
                "bad.csv",
                "person_id;municipality;first_permit_date;registered_on;upper_secondary_completed;protected\n19900913-2391;0136;2016-05-01;2018-02-01;no;kanske\n"
            ), "--org", "212000-0084")
        #expect(refused.status != 0 && refused.stderr.contains("protected"), "\(refused.stderr)")
        let last = try cli.run("extract", "19900913-2391", "--org", "212000-0084")
        let acts = ((try JSONSerialization.jsonObject(with: Data(last.stdout.utf8)) as? [String: Any])?["accessLog"] as? [[String: Any]] ?? []).compactMap {
            $0["action"] as? String
        }
        #expect(acts.filter { $0 == "protect" || $0 == "unprotect" } == ["protect", "unprotect"], "\(acts)")
        #expect(try cli.run("audit", "verify", "--head", Self.headBefore).status == 0)

        let noFile = try cli.run("extract", "19900101-2385", "--org", "212000-0084", "--format", "pdf")
        #expect(noFile.status == 1 && noFile.stderr.contains("--format pdf needs --output FILE"))
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") && ProcessInfo.processInfo.environment["SAMSPAR_SKIP_BROWSER"] != "1" {
            let pdfPath = cli.directory.appendingPathComponent("utdrag.pdf").path
            let pdf = try cli.run("extract", "19900101-2385", "--org", "212000-0084", "--format", "pdf", "--output", pdfPath)
            #expect(pdf.status == 0, "\(pdf.stderr)")
            #expect(FileManager.default.contents(atPath: pdfPath)?.starts(with: Data("%PDF".utf8)) == true)
            #expect((try FileManager.default.attributesOfItem(atPath: pdfPath)[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        }
    }
}
