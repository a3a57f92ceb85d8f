import Foundation
import Testing

/// The PDF's text, page by page, read back with Debian's poppler-utils: `pdfinfo` for the page
/// count, `pdftotext -f N -l N` for each page. Non-breaking spaces are read as spaces and
/// white space is folded.
struct PrintedPDF {
    var pages: [String]
    var text: String { pages.joined(separator: " ") }

    init(_ path: String) throws {
        let info = try Self.tool("/usr/bin/pdfinfo", [path])
        let count = try #require(info.firstMatch(of: /Pages:\s+([0-9]+)/).flatMap { Int($0.1) })
        pages = try (1...count).map {
            try AgreementDocumentCommandLineTests.normalised(Self.tool("/usr/bin/pdftotext", ["-f", "\($0)", "-l", "\($0)", path, "-"]))
        }
    }

    static func tool(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Every page ends with its number in the Swedish form "3 (6)".
    func checkPageNumbers(_ comment: Comment? = nil) {
        for (i, page) in pages.enumerated() {
            #expect(page.hasSuffix("\(i + 1) (\(pages.count))"), "page \(i + 1) does not end with its number: …\(page.suffix(80))")
        }
    }
}

/// `samspar agreement document` and `samspar agreement memo` (issues 9 and 26): the agreement
/// as the parties sign it, in the seed's structure and words, and a municipal party's decision
/// memo; both as HTML and as PDFs read back with `pdftotext`.
@Suite("The agreement as its document, and the decision memo")
struct AgreementDocumentCommandLineTests {
    /// What the document of `shared/examples/agreement.json` (no wording of its own) must say,
    /// written out from that file and the seed (`001_…txt`).
    static let expected = [
        "Överenskommelse", "om fördjupad samverkan om nyanländas etablering",
        "1. Parter", "2. Syfte", "3. Mål", "4. Lokal modell", "5. Uppföljning", "6. Överenskommelsens varaktighet och revidering", "7. Underskrifter",
        "Arbetsförmedlingen Östra Södertörn, 202100-2114, Pia Erneborg, Biträdande enhetschef",
        "Samordningsförbundet Östra Södertörn, 222000-2162, Johan Svensk, Styrelseordförande",
        "Haninge kommun, 212000-0084, Meeri Wasberg, Kommunstyrelseordförande",
        "Nynäshamns kommun, 212000-0233, Patrik Isestad, Kommunstyrelseordförande",
        "Tyresö kommun, 212000-0092, Fredrik Saweståhl, Kommunstyrelseordförande",
        "påskynda nyanländas etablering på den svenska arbetsmarknaden",
        "Att långsiktigt korta etableringstiden till två år¹.",
        "¹ Med etablering menas arbete med eller utan subvention och reguljära studier",
        "Yrkesspår vårdbiträde/personlig assistent – 40 % som fullföljer spåret ska vara män",
        "Yrkesspår barnskötare, resurspedagog, elevassistent inom förskola och skola – 20 % som fullföljer spåret ska vara män",
        "Yrkesspår Husbygg – 12 % som fullföljer spåret ska vara kvinnor",
        "² Upp till 36 månader efter det första uppehållstillståndet.",
        "B. Unga nyanlända i åldern 16–24 år som behöver fullfölja en gymnasieutbildning.",
        // The standard sentences where the agreement has no words of its own; none claims that
        // every sub-goal is a track's.
        "Delmålen följs upp på samma sätt för alla parter: det första för hela överenskommelsen, de tre andra för varje spår.",
        "Parterna åtar sig att arbeta enligt den lokala modell som beskrivs i bilaga 1.",
        "Kartläggning och analys av det lokala kompetensförsörjningsbehovet.",
        "Hur kommunen och Arbetsförmedlingen gemensamt stödjer unga nyanlända utan fullföljd gymnasieutbildning.",
        // Table cells wrap as the font decides: each word on its own.
        "5330", "Vårdbiträden", "7113", "Betongarbetare", "Studiespår för unga utan gymnasieexamen",
        "Fr.o.m. 1 januari 2018 och ett år i taget.", "Överenskommelsen revideras årligen.", "Nästa revidering sker 2018-11-30.",
        "Haninge 2017-11-13", "Nynäshamn 2017-11-13", "Tyresö 2017-11-13", "Meeri Wasberg", "Johan Svensk",
        "Bilaga 1 Lokal modell", "Bilaga 2 Ekonomiska konsekvenser", "Bilaga 3 Perspektiv",
    ]

    /// Seed 001's own sentences, copied from `shared/seeds/001_…txt`: the document made from
    /// `examples/agreement-2018-signed.json` prints each exactly.
    static let seedSentences = [
        "Att genom fördjupad samverkan enligt framtagna modeller, påskynda nyanländas etablering på den svenska arbetsmarknaden.",
        "Övergripande mål Att långsiktigt korta etableringstiden till två år¹.",
        "Lokala mål Lokala övergripande mål för respektive yrkesspår avseende deltagare 2018",
        "Delmål som tas fram under 2018 utgår ifrån; Andel deltagare som deltar i rekryteringsträffar om yrkesspår Andel deltagare som tackar ja till att välja yrkesspår Andel deltagare som fullföljer yrkesspår",
        "Andel deltagare i jobb eller fortsatta studier efter avslutat yrkesspår",
        "Överenskommelsen gäller A. Nyanlända² som ska etablera sig på arbetsmarknaden.",
        "4. Lokal modell Parterna åtar sig att arbeta enligt den i bilaga beskrivna modellen. Beskrivningen av den lokalt anpassade modellen omfattar följande delar:",
        "En kartläggning och en analys av det lokala kompetensförsörjningsbehovet",
        "En kartläggning och en analys av målgruppens sammansättning och behov",
        "En beskrivning av hur verksamheten i samverkan ska bedrivas och organiseras",
        "En beskrivning av de (minst tre) lokala spår som den lokala modellen omfattar",
        "En beskrivning av hur kommunen och Arbetsförmedlingen gemensamt avser att stödja de unga nyanlända som inte har en fullföljd gymnasieutbildning i syfte att fullfölja en gymnasieutbildning och att etablera sig på arbetsmarknaden",
        "5. Uppföljning Parterna åtar sig att följa upp den fördjupade samverkan. Kommunen ansvarar för att löpande registrera deltagarnas aktiviteter under tiden i kommuninsats. Under förutsättning att det systemstöd för uppföljning av unga som utvecklas av Arbetsförmedlingen i samverkan med SKL och Dua, också kommer att omfatta målgruppen nyanlända, ges kommunerna möjlighet att ansluta också de verksamhetssystem som då kan bli aktuella, till det gemensamma systemet.",
        "Överenskommelsen gäller Fr.o.m. 1 januari 2018 och ett år i taget. Överenskommelsen revideras årligen. Nästa revidering sker 2018-11-30.",
        "7. Underskrifter",
    ]

    static func normalised(_ text: String) -> String {
        text.replacing("\u{00A0}", with: " ").split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    func imported(_ file: String = "examples/agreement.json") throws -> Samspar {
        let cli = try Samspar()
        let result = try cli.run("agreement", "import", Samspar.shared.appendingPathComponent(file).path)
        #expect(result.status == 0, "\(result.stderr)")
        return cli
    }

    @Test func theExampleRendersWithAllItsContent() throws {
        let cli = try imported()
        let html = try cli.run("agreement", "document", "ostra-sodertorn")
        #expect(html.status == 0, "\(html.stderr)")
        // The words a reader sees: markup taken out.
        let text = Self.normalised(html.stdout.replacing(/<[^>]+>/, with: ""))
        for phrase in Self.expected {
            #expect(text.contains(Self.normalised(phrase)), "the document lacks: \(phrase)")
        }
        // What the old document claimed and the figures do not do is gone.
        #expect(!text.contains("Delmål följs upp för varje spår"))
        #expect(!text.contains("UTKAST"))
        let missing = try cli.run("agreement", "document", "ostra-sodertorn", "--version", "7")
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("has no version 7"))
        let unknown = try cli.run("agreement", "document", "nowhere")
        #expect(unknown.stderr.contains("no agreement 'nowhere'"))
    }

    static let printable =
        FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") && FileManager.default.isExecutableFile(atPath: "/usr/bin/pdftotext")
        && ProcessInfo.processInfo.environment["SAMSPAR_SKIP_BROWSER"] != "1"

    /// The PDF is the HTML printed by headless Chromium; `pdftotext` reads the same words back.
    @Test(.enabled(if: printable, "needs Debian's chromium and poppler-utils (.ci/run installs both)"))
    func thePDFReadsBack() throws {
        let cli = try imported()
        let pdf = cli.directory.appendingPathComponent("overenskommelse.pdf").path
        let printed = try cli.run("agreement", "document", "ostra-sodertorn", "--format", "pdf", "--output", pdf)
        #expect(printed.status == 0, "\(printed.stderr)")
        let document = try PrintedPDF(pdf)
        for phrase in Self.expected {
            #expect(document.text.contains(Self.normalised(phrase)), "the PDF lacks: \(phrase)")
        }
        document.checkPageNumbers()
    }

    /// Issue 26: the agreement made from the seed's signed wording reads as seed 001 does, its
    /// signature page can be signed, and every page has its number and the version's date.
    @Test(.enabled(if: printable, "needs Debian's chromium and poppler-utils (.ci/run installs both)"))
    func theSignedWordingReadsAsTheSeed() throws {
        let cli = try imported("examples/agreement-2018-signed.json")
        let pdf = cli.directory.appendingPathComponent("overenskommelse-2018.pdf").path
        let printed = try cli.run("agreement", "document", "ostra-sodertorn", "--format", "pdf", "--output", pdf)
        #expect(printed.status == 0, "\(printed.stderr)")
        let document = try PrintedPDF(pdf)
        let text = document.text
        for sentence in Self.seedSentences {
            #expect(text.contains(Self.normalised(sentence)), "the PDF lacks the seed's: \(sentence)")
        }
        // Standard sentences only where the agreement has no words of its own.
        for standard in ["Delmålen följs upp på samma sätt", "den lokala modell som beskrivs i bilaga 1", "Varje part registrerar sina egna deltagare"] {
            #expect(!text.contains(standard), "a standard sentence replaced the signed wording: \(standard)")
        }
        // The signature blocks in the order of signatures[], places as written (the seed's
        // "Arbetsförmedlingen 2017-11-13"), all on the page of their heading.
        let places = ["Haninge 2017-11-13", "Arbetsförmedlingen 2017-11-13", "Nynäshamn 2017-11-13", "Tyresö 2017-11-13", "Samordningsförbundet 2017-11-13"]
        let signing = try #require(document.pages.first { $0.contains("7. Underskrifter") })
        let positions = places.map { signing.range(of: $0)?.lowerBound }
        #expect(positions.allSatisfy { $0 != nil }, "\(signing)")
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
        #expect(signing.matches(of: /Ort och datum/).count == 5)
        #expect(signing.matches(of: /Underskrift\b/).count == 5)
        for name in ["Meeri Wasberg", "Pia Erneborg", "Patrik Isestad", "Fredrik Saweståhl", "Johan Svensk"] { #expect(signing.contains(name)) }
        // Annexes, each on a page of its own.
        for annex in ["Bilaga 1 Lokal modell", "Bilaga 2 Ekonomiska konsekvenser", "Bilaga 3 Perspektiv"] {
            #expect(document.pages.contains { $0.hasPrefix(annex) }, "no page begins with \(annex)")
        }
        #expect(document.pages.allSatisfy { $0.contains("Version 1 · undertecknad 2017-11-13") })
        #expect(!text.contains("UTKAST"))
        document.checkPageNumbers()
    }

    /// A draft with the parties' own work: cost lines, perspectives, decisions, grants, the
    /// coordinator and a time plan (written here from the seed's agreement, signatures off).
    static func draftDocument() throws -> String {
        let data = try Data(contentsOf: Samspar.shared.appendingPathComponent("examples/agreement-2018-signed.json"))
        var a = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        a["id"] = "ostra-sodertorn-2019"
        a["signatures"] = []
        a["status"] = "draft"
        a["costs"] = [
            ["track": "vard", "orgNumber": "212000-0084", "year": 2019, "amount": 150_000, "source": "state_grant"],
            ["orgNumber": "212000-0084", "year": 2019, "amount": 1_250_000, "source": "municipal_budget"],
            ["track": "bygg", "orgNumber": "212000-0092", "year": 2019, "amount": 80_000, "source": "municipal_budget"],
        ]
        a["perspectives"] = [
            "genderEquality": "Spåren har mål för det underrepresenterade könet.", "childRights": "Unga under 18 år får stöd av skolan.",
            "publicHealth": "Arbete och studier stärker hälsan.",
        ]
        a["decisions"] = [["orgNumber": "212000-0084", "body": "Arbetsmarknadsnämnden", "date": "2018-10-15", "decision": "Uppdrag att ta fram ett underlag."]]
        a["grants"] = [["orgNumber": "212000-0084", "purpose": "Utarbetande av överenskommelsen", "applied": 300_000]]
        a["coordinator"] = ["name": "Kim Samordnare", "title": "Samordnare", "orgNumber": "222000-2162"]
        a["timePlan"] = [
            ["date": "2018-11-30", "milestone": "Överenskommelsen till nämnderna"], ["date": "2018-12-20", "milestone": "Parterna undertecknar"],
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: a), as: UTF8.self)
    }

    /// A draft says UTKAST on every page, has empty lines to sign for every party, and its
    /// annexes carry what the parties wrote.
    @Test(.enabled(if: printable, "needs Debian's chromium and poppler-utils (.ci/run installs both)"))
    func aDraftIsMarkedAndHasLinesToSign() throws {
        let cli = try Samspar()
        #expect(try cli.run("agreement", "import", try cli.write("draft.json", try Self.draftDocument())).status == 0)
        let pdf = cli.directory.appendingPathComponent("utkast.pdf").path
        let printed = try cli.run("agreement", "document", "ostra-sodertorn-2019", "--format", "pdf", "--output", pdf)
        #expect(printed.status == 0, "\(printed.stderr)")
        let document = try PrintedPDF(pdf)
        #expect(document.pages.count >= 5)
        for (i, page) in document.pages.enumerated() {
            #expect(page.contains("UTKAST"), "page \(i + 1) is not marked UTKAST")
            #expect(page.contains("Version 1 · utkast"))
        }
        document.checkPageNumbers()
        let signing = try #require(document.pages.first { $0.contains("7. Underskrifter") })
        #expect(signing.matches(of: /Ort och datum/).count == 5)
        #expect(!signing.contains("2017-11-13"), "a draft's lines to sign are empty")
        let text = document.text
        for phrase in [
            "Bilaga 2 Ekonomiska konsekvenser", "Statsbidrag 150 000 kr", "Gemensamt Haninge kommun 2019 Kommunens budget 1 250 000 kr",
            "Tyresö kommun 2019 Kommunens budget 80 000 kr", "Summa för Haninge kommun 1 400 000 kr", "Summa för Tyresö kommun 80 000 kr",
            "Summa för överenskommelsen 1 480 000 kr", "Bilaga 3 Perspektiv", "Spåren har mål för det underrepresenterade könet.",
            "Bilaga 4 Beslut", "Arbetsmarknadsnämnden", "2018-10-15", "Uppdrag att ta fram ett underlag.", "Bilaga 5 Statsbidrag", "300 000 kr",
            "Samordnare för samverkan: Kim Samordnare, Samordnare, Samordningsförbundet Östra Södertörn.",
        ] {
            #expect(text.contains(phrase), "the draft lacks: \(phrase)")
        }
    }

    /// The decision memo (tjänsteskrivelse) from the open draft, for Haninge's board.
    @Test(.enabled(if: printable, "needs Debian's chromium and poppler-utils (.ci/run installs both)"))
    func aDecisionMemoComesOutOfADraft() throws {
        let cli = try Samspar()
        #expect(try cli.run("agreement", "import", try cli.write("draft.json", try Self.draftDocument())).status == 0)
        let pdf = cli.directory.appendingPathComponent("tjansteskrivelse.pdf").path
        let printed = try cli.run(
            "agreement", "memo", "ostra-sodertorn-2019", "--org", "212000-0084", "--format", "pdf", "--output", pdf)
        #expect(printed.status == 0, "\(printed.stderr)")
        let memo = try PrintedPDF(pdf)
        memo.checkPageNumbers()
        let text = memo.text
        // A tjänsteskrivelse's headings, in order.
        let headings = [
            "Tjänsteskrivelse", "Sammanfattning", "Förslag till beslut", "Ärendet", "Ekonomiska konsekvenser",
            "Jämställdhets-, barnrätts- och folkhälsoperspektiven", "Tidplan", "Bilagor",
        ]
        // Each after the one before (the title itself begins "Förslag till beslut om …").
        var from = text.startIndex
        for heading in headings {
            let found = text.range(of: heading + " ", range: from..<text.endIndex)
            #expect(found != nil, "no \(heading) after the headings before it")
            from = found?.upperBound ?? from
        }
        #expect(text.contains("Sammanfattning Haninge kommun föreslås ingå en överenskommelse"))
        for phrase in [
            "Haninge kommun", "Till: Arbetsmarknadsnämnden", "Arbetsmarknadsnämnden beslutar att",
            "godkänna överenskommelsen om fördjupad samverkan om nyanländas etablering – Östra Södertörn, version 1 (utkast), enligt bilaga 1",
            "uppdra åt kommunstyrelseordförande Meeri Wasberg att underteckna överenskommelsen",
            "ansöka om statsbidrag med 300 000 kr för utarbetande av överenskommelsen",
            "Haninge kommuns planerade kostnader är 1 400 000 kr, av överenskommelsens sammanlagt 1 480 000 kr.",
            "Summa för Haninge kommun", "Tyresö kommun 80 000 kr", "Summa för överenskommelsen 1 480 000 kr",
            "Barnrättsperspektivet Unga under 18 år får stöd av skolan.", "2018-11-30 Överenskommelsen till nämnderna",
            "2018-12-20 Parterna undertecknar", "Förvaltning", "Namn", "Titel, till exempel förvaltningschef",
        ] {
            #expect(text.contains(phrase), "the memo lacks: \(phrase)")
        }
        let html = try cli.run("agreement", "memo", "ostra-sodertorn-2019", "--org", "212000-0084").stdout
        #expect(html.contains("<th scope=\"row\" colspan=\"3\">Summa för Haninge kommun</th><td class=\"n\">1\u{00A0}400\u{00A0}000\u{00A0}kr</td>"))
        // Not a municipality: no memo, and a sentence that says why.
        let af = try cli.run("agreement", "memo", "ostra-sodertorn-2019", "--org", "202100-2114")
        #expect(af.status != 0)
        #expect(af.stderr.contains("Arbetsförmedlingen Östra Södertörn is not a municipality"))
        #expect(af.stdout.isEmpty)
        let stranger = try cli.run("agreement", "memo", "ostra-sodertorn-2019", "--org", "212000-0183")
        #expect(stranger.status != 0 && stranger.stderr.contains("is not a party"))
    }

    /// Without a time plan the memo has no Tidplan; without a decision of the party it has a
    /// line for the board's name.
    @Test func aMemoWithoutTimePlanOrDecision() throws {
        let cli = try imported()
        let html = try cli.run("agreement", "memo", "ostra-sodertorn", "--org", "212000-0092")
        #expect(html.status == 0, "\(html.stderr)")
        #expect(!html.stdout.contains("<h2>Tidplan</h2>"))
        #expect(html.stdout.contains("<p>Till: <span class=\"fill\">&nbsp;</span> (nämnd)</p>"))
        #expect(html.stdout.contains("<p>Nämnden beslutar att</p>"))
        #expect(html.stdout.contains("Tyresö kommun har inte fört in några kostnader i överenskommelsen."))
    }

    /// `samspar report … --format pdf`: the follow-up for the nämnd.
    @Test(.enabled(if: printable, "needs Debian's chromium and poppler-utils (.ci/run installs both)"))
    func theReportAsPDF() throws {
        let cli = try imported()
        let people = try cli.write("people.csv", participantsCSV)
        #expect(try cli.run("import", "participants", people).status == 0)
        let pdf = cli.directory.appendingPathComponent("uppfoljning.pdf").path
        let printed = try cli.run(
            "report", "--agreement", "ostra-sodertorn", "--year", "2018", "--as-of", "2019-03-31", "--suppress", "--format", "pdf", "--output", pdf)
        #expect(printed.status == 0, "\(printed.stderr)")
        let html = try cli.run("report", "--agreement", "ostra-sodertorn", "--year", "2018", "--as-of", "2019-03-31", "--suppress", "--format", "html")
        let document = try PrintedPDF(pdf)
        let text = document.text
        #expect(text.contains("Överenskommelse om fördjupad samverkan om nyanländas etablering – Östra Södertörn"))
        #expect(text.contains("Per 2019-03-31"))
        // Three active participants in 2018: a small count, suppressed in the PDF as on the page.
        #expect(html.stdout.contains("&lt;5"))
        #expect(text.contains("Aktiva deltagare"))
        #expect(text.contains("<5"))
        document.checkPageNumbers()
        let missing = try cli.run("report", "--agreement", "ostra-sodertorn", "--year", "2018", "--format", "pdf")
        #expect(missing.status != 0 && missing.stderr.contains("--format pdf needs --output"))
    }

    /// The follow-up explains itself to a nämnd (issue 26, part 4): Swedish only, a definition
    /// beside each measure, the overall goal's median, charts, figures per municipality,
    /// Swedish numbers, and hidden told apart from not applicable.
    @Test(.enabled(if: printable, "needs Debian's chromium and poppler-utils (.ci/run installs both)"))
    func theFollowUpForTheNamnd() throws {
        let cli = try Samspar()
        #expect(try cli.run("demo", "--participants", "600", "--today", "2025-06-30").status == 0)
        let arguments = ["report", "--agreement", "ostra-sodertorn", "--year", "2024", "--as-of", "2024-12-31", "--suppress"]
        let pdf = cli.directory.appendingPathComponent("namnd.pdf").path
        let printed = try cli.run(arguments + ["--format", "pdf", "--output", pdf])
        #expect(printed.status == 0, "\(printed.stderr)")
        let html = try cli.run(arguments + ["--format", "html"]).stdout
        let json = try #require(try JSONSerialization.jsonObject(with: Data(try cli.run(arguments).stdout.utf8)) as? [String: Any])
        let document = try PrintedPDF(pdf)
        document.checkPageNumbers()
        let text = document.text
        // No English: none of the old page's glosses, no technical id.
        for english in [
            "Participants", "Tracks", "Figure", "Gender goal", "Establishment", "Result", "Target", "Verdict", "Activity", "Hours", "Costs", "Planned",
            "Spent", "as of", "Follow-up", "Share", "Median days", "Measurable", "not met", "ostra-sodertorn",
        ] {
            #expect(!text.contains(english), "English in the follow-up: \(english)")
        }
        #expect(!html.contains("lang=\"en\"") && !html.contains("<code>"))
        // The overall goal's outcome is its median against the goal, as the JSON has it.
        let establishment = try #require(json["establishment"] as? [String: Any])
        if let median = establishment["kmMedianDays"] as? Int {
            let days = median < 1000 ? "\(median)" : "\(median / 1000)\u{00A0}" + String(format: "%03d", median % 1000)
            #expect(html.contains("<td class=\"n\">median \(days)\u{00A0}dagar</td><td class=\"nowrap\">högst 730 dagar</td>"), "\(median)")
        } else {
            #expect(text.contains("Övergripande mål: etableringstid"))
        }
        // Definitions beside the measures that were not defined.
        for definition in [
            "Mätbara<span class=\"def\">De i målgrupp A vars första uppehållstillstånd är minst 730 dagar gammalt, så att hela måltiden kan bedömas.</span>",
            "Andel inom målet, bland de mätbara<span class=\"def\">Etablerade inom målet delat med de mätbara.</span>",
            "Andel inom målet, uppskattad<span class=\"def\">Uppskattad andel av alla i målgrupp A som etablerar sig inom 730 dagar.",
        ] {
            #expect(html.contains(definition), "the follow-up lacks: \(definition)")
        }
        #expect(text.contains("De i målgrupp A vars första uppehållstillstånd är minst 730 dagar gammalt"))
        // Per municipality, in the JSON's order.
        #expect(text.contains("Per kommun Aktiva deltagare per kommun (där de bor) Kommun Aktiva deltagare Haninge"))
        #expect(text.contains("Tyresö") && text.contains("Nynäshamn"))
        // The charts: one funnel per track and the gender goals, drawn as SVG.
        #expect(html.components(separatedBy: "<svg ").count - 1 >= 5)
        for caption in ["Spårets steg: Yrkesspår Husbygg", "Spårets steg: Studiespår för unga utan gymnasieexamen", "Jämställdhetsmålen"] {
            #expect(text.contains(caption), "no chart: \(caption)")
        }
        // Swedish thousands: 600 people's hours of sfi run into the thousands.
        #expect(html.firstMatch(of: /<td class="n">[0-9]{1,3}\u{00A0}[0-9]{3},[0-9]<\/td>/) != nil, "no hours with a thousands space")
        // The legend tells the marks apart.
        #expect(text.contains("Ett streck (–) betyder att det inte finns något att mäta"))
        #expect(text.contains("Två punkter (..) betyder att talet eller andelen döljs"))
    }
}
