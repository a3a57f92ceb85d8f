import Foundation
import Testing

/// The agreement's life on the command line (issue 9): `check`, `sign`, `revise`, and the
/// follow-up's further content in `samspar report --format html`.
@Suite("The agreement's life from the command line")
struct AgreementLifeCommandLineTests {
    /// The example as a draft signed by nobody, with or without what signing in Samspår asks for.
    func draftFile(_ cli: Samspar, complete: Bool) throws -> String {
        let example = try Data(contentsOf: Samspar.shared.appendingPathComponent("examples/agreement.json"))
        var object = try #require(try JSONSerialization.jsonObject(with: example) as? [String: Any])
        object["id"] = "ostra-sodertorn-utkast"
        object["signatures"] = []
        object["status"] = "draft"
        if complete {
            var tracks = try #require(object["tracks"] as? [[String: Any]])
            for i in tracks.indices { tracks[i]["responsible"] = "212000-0084" }
            object["tracks"] = tracks
            object["perspectives"] = ["genderEquality": "Bedömt.", "childRights": "Bedömt.", "publicHealth": "Bedömt."]
            object["costs"] = [["track": "vard", "orgNumber": "202100-2114", "year": 2018, "amount": 150000, "source": "employment_service"]]
            object["grants"] = [
                [
                    "orgNumber": "212000-0084", "round": "dua-2017-overenskommelse", "purpose": "Ta fram överenskommelsen", "basis": 99,
                    "applied": 150001,
                ]
            ]
        }
        let file = cli.directory.appendingPathComponent(complete ? "complete.json" : "incomplete.json")
        try JSONSerialization.data(withJSONObject: object).write(to: file)
        return file.path
    }

    @Test func checkSignAndRevise() throws {
        let cli = try Samspar()
        #expect(try cli.run("agreement", "import", try draftFile(cli, complete: false)).status == 0)
        let incomplete = try cli.run("agreement", "check", "ostra-sodertorn-utkast")
        #expect(incomplete.status == 1)
        #expect(incomplete.stdout.contains("ostra-sodertorn-utkast version 1: draft"))
        #expect(incomplete.stdout.contains("missing: perspectives.childRights: this perspective has no written assessment"))
        let refused = try cli.run(
            "agreement", "sign", "ostra-sodertorn-utkast", "--org", "212000-0084", "--place", "Haninge", "--date", "2017-11-13", "--name", "Meeri Wasberg")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("cannot be signed while something is missing"))

        #expect(try cli.run("agreement", "import", try draftFile(cli, complete: true)).status == 0)
        let complete = try cli.run("agreement", "check", "ostra-sodertorn-utkast")
        #expect(complete.status == 0, "\(complete.stdout)")
        // 99 people: the cap is 150 000 kr, and 150 001 kr were applied for.
        #expect(complete.stdout.contains("warning: the grant applied for by 212000-0084 (150001 kr) is above the round's cap of 150000 kr"))
        #expect(complete.stdout.contains("Nothing is missing; waiting for: Arbetsförmedlingen Östra Södertörn, Samordningsförbundet Östra Södertörn"))
        let parties = ["212000-0084", "202100-2114", "212000-0233", "212000-0092", "222000-2162"]
        for (i, party) in parties.enumerated() {
            let signed = try cli.run(
                "agreement", "sign", "ostra-sodertorn-utkast", "--org", party, "--place", "Haninge", "--date", "2017-11-13", "--name", "Namn \(i)")
            #expect(signed.status == 0, "\(signed.stderr)")
            #expect(signed.stdout.contains(i == parties.count - 1 ? "signed by every party" : "\(party) har undertecknat"))
        }
        let again = try cli.run(
            "agreement", "sign", "ostra-sodertorn-utkast", "--org", "212000-0084", "--place", "Haninge", "--date", "2017-11-13", "--name", "Namn")
        #expect(again.stderr.contains("start a revision to change it"))
        // A notice dated years back is refused (at most 30 days back, never before the last signature).
        let late = try cli.run("agreement", "terminate", "ostra-sodertorn-utkast", "--org", "212000-0092", "--date", "2018-05-02")
        #expect(late.status != 0)
        #expect(late.stderr.contains("a notice cannot be dated before"))
        // Tyresö's notice from 2030-05-02 ends it with the period it falls in, 2030-01-01 … 2030-12-31.
        let notice = try cli.run("agreement", "terminate", "ostra-sodertorn-utkast", "--org", "212000-0092", "--date", "2030-05-02")
        #expect(notice.status == 0, "\(notice.stderr)")
        #expect(notice.stdout.contains("version 3: uppsagd av 212000-0092, gäller till och med 2030-12-31"))
        #expect(try cli.run("agreement", "terminate", "ostra-sodertorn-utkast", "--org", "212000-0084", "--date", "2030-06-01").stderr.contains("already"))
        let revised = try cli.run("agreement", "revise", "ostra-sodertorn-utkast")
        #expect(revised.status == 0, "\(revised.stderr)")
        // Each import is a version (1: incomplete, 2: complete, then signed), the notice is 3,
        // and the revision 4.
        #expect(revised.stdout.contains("ostra-sodertorn-utkast version 4 är ett utkast"))
        #expect(try cli.run("agreement", "revise", "ostra-sodertorn-utkast").stderr.contains("has a draft being edited"))
        // Both versions stay readable; the signed one keeps its five signatures.
        let signedVersion = try cli.run("agreement", "document", "ostra-sodertorn-utkast", "--version", "2")
        #expect(signedVersion.stdout.contains("Namn 4"))
        let revision = try cli.run("agreement", "document", "ostra-sodertorn-utkast", "--version", "4")
        #expect(revision.status == 0)
        #expect(!revision.stdout.contains("Namn 4"))
        // Every step went into the audit chain, and the chain holds.
        #expect(try cli.run("audit", "verify").status == 0)
    }

    @Test func theReportPageCarriesTheFollowUp() throws {
        let cli = try Samspar()
        #expect(try cli.run("demo", "--participants", "300", "--today", "2025-06-30").status == 0)
        let html = try cli.run("report", "--agreement", "ostra-sodertorn", "--year", "2025", "--as-of", "2025-06-30", "--format", "html")
        #expect(html.status == 0, "\(html.stderr)")
        for heading in [
            "Målen mot målvärdena", "Insatser", "Timmar per insatstyp under året", "Kostnader", "Övergripande mål: etableringstid", "högst 730 dagar",
        ] {
            #expect(html.stdout.contains(heading), "the report page lacks \(heading)")
        }
        // The JSON stays SPEC §5's document: no follow-up member.
        let json = try cli.run("report", "--agreement", "ostra-sodertorn", "--year", "2025", "--as-of", "2025-06-30")
        #expect(!json.stdout.contains("followUp"))
    }
}
