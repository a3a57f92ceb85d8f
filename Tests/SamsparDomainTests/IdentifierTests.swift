import Foundation
import Testing

@testable import SamsparDomain

/// SPEC §2: personnummer, samordningsnummer, organisationsnummer, kommunkod, SSYK.
@Suite("Identifiers (SPEC §2)")
struct IdentifierTests {
    private func reason(_ text: String, currentYear: Int = 2026) -> String {
        do {
            let p = try Personnummer(text, currentYear: currentYear)
            return "accepted as \(p.twelveDigits)"
        } catch { return error.description }
    }

    @Test func everyOneOfSkatteverketsTestNumbersIsAccepted() throws {
        let numbers = try lines(of: "skatteverket-test-personnummer.csv") + lines(of: "skatteverket-test-samordningsnummer.csv")
        #expect(numbers.count == 23_968)
        var rejected: [String] = []
        for text in numbers {
            do {
                let number = try Personnummer(text, currentYear: 2026)
                if number.twelveDigits != text { rejected.append("\(text) stored as \(number.twelveDigits)") }
            } catch { rejected.append("\(text): \(error)") }
        }
        #expect(rejected.isEmpty, "\(rejected.prefix(5))")
    }

    @Test func everySkatteverketTestPersonnummerIsAcceptedInEverySpelling() throws {
        let rows = try Spec.rows("skatteverket-test-personnummer.csv")
        #expect(rows.count == 21_728)
        var problems: [String] = []
        for twelve in rows {
            // The ten-digit forms: '-' (or nothing) under 100 this year, '+' from 100 on.
            let year = Int(twelve.prefix(4))!
            let ten = String(twelve.dropFirst(2))
            let yymmdd = ten.prefix(6), last4 = ten.suffix(4)
            var spellings = [twelve, String(twelve.prefix(8)) + "-" + last4]
            if 2026 - year < 100 {
                spellings += [yymmdd + "-" + last4, ten]
            } else {
                spellings += [yymmdd + "+" + last4]
            }
            for text in spellings {
                do {
                    let p = try Personnummer(text, currentYear: 2026)
                    if p.twelveDigits != twelve { problems.append("\(text) → \(p.twelveDigits)") }
                    if p.isSamordningsnummer { problems.append("\(text) taken for a samordningsnummer") }
                } catch { problems.append("\(text): \(error)") }
            }
        }
        #expect(problems.isEmpty, "\(problems.count) problems, e.g. \(problems.prefix(5))")
    }

    @Test func everySkatteverketTestSamordningsnummerIsAccepted() throws {
        let rows = try Spec.rows("skatteverket-test-samordningsnummer.csv")
        #expect(rows.count == 2_240)
        var problems: [String] = []
        for twelve in rows {
            do {
                let p = try Personnummer(twelve, currentYear: 2026)
                if p.twelveDigits != twelve { problems.append("\(twelve) → \(p.twelveDigits)") }
                if !p.isSamordningsnummer { problems.append("\(twelve) not a samordningsnummer") }
                // Birth day: raw day − 60, unknown (60) → 15th; unknown month → July.
                let month = Int(twelve.dropFirst(4).prefix(2))!, rawDay = Int(twelve.dropFirst(6).prefix(2))!
                let expected = Day(year: Int(twelve.prefix(4))!, month: month == 0 ? 7 : month, day: rawDay == 60 ? 15 : rawDay - 60)
                if p.birthDate != expected { problems.append("\(twelve) born \(p.birthDate)") }
            } catch { problems.append("\(twelve): \(error)") }
        }
        #expect(problems.isEmpty, "\(problems.count) problems, e.g. \(problems.prefix(5))")
        // The file holds numbers with an unknown month and with an unknown day.
        #expect(rows.contains { $0.dropFirst(4).prefix(2) == "00" })
        #expect(rows.contains { $0.dropFirst(6).prefix(2) == "60" })
    }

    @Test func samordningsnummerAreRecognisedWithUnknownMonthAndDay() throws {
        let numbers = try lines(of: "skatteverket-test-samordningsnummer.csv")
        let parsed = try numbers.map { try Personnummer($0, currentYear: 2026) }
        #expect(parsed.allSatisfy { $0.isSamordningsnummer })
        // 1915-00-72: unknown month counts as 1 July, day 72 − 60 = 12.
        let unknownMonth = try Personnummer("191500722390", currentYear: 2026)
        #expect(unknownMonth.birthDate == Day(year: 1915, month: 7, day: 12))
        // Day 60: unknown day counts as the 15th.
        let unknownDay = try #require(parsed.first { $0.value / 10_000 % 100 == 60 && $0.value / 1_000_000 % 100 != 0 })
        #expect(unknownDay.birthDate.day == 15)
    }

    @Test func everyAcceptedSpellingGivesTheSameTwelveDigits() throws {
        for text in ["19900101-2385", "199001012385", "900101-2385", "9001012385"] {
            #expect(try Personnummer(text, currentYear: 2026).value == 199_001_012_385)
        }
        // '+' means 100 or older: the century before.
        #expect(try Personnummer("900101+2385", currentYear: 2026).value == 189_001_012_385)
        // Younger than 100 this year: 25 is 2025 in 2026 but 1925 in 2024.
        #expect(try Personnummer("250101-2385", currentYear: 2026).birthDate.year == 2025)
        #expect(try Personnummer("250101-2385", currentYear: 2024).birthDate.year == 1925)
        #expect(try Personnummer("250101+2385", currentYear: 2026).birthDate.year == 1925)
        // 26 in 2026 is this year's baby; 27 in 2026 is 1927.
        #expect(try Personnummer("2601012384", currentYear: 2026).birthDate.year == 2026)
        #expect(try Personnummer("2701012383", currentYear: 2026).birthDate.year == 1927)
    }

    @Test func theFiveSpellingsOfOneNumber() throws {
        // 1990-01-01, serial 238, check digit 5 (Skatteverket test number).
        for text in ["19900101-2385", "199001012385", "900101-2385", "9001012385"] {
            let p = try Personnummer(text, currentYear: 2026)
            #expect(p.value == 199_001_012_385, "\(text)")
            #expect(p.twelveDigits == "199001012385")
            #expect(p.description == "19900101-2385")
        }
        // '+': 100 or older this year, so 1890.
        #expect(try Personnummer("900101+2385", currentYear: 2026).twelveDigits == "189001012385")
    }

    @Test func theCenturyOfATenDigitNumberDependsOnTheCurrentYear() throws {
        // 1925-01-01 is a test number; its ten digits 250101-9216 carry no century.
        func year(_ text: String, _ currentYear: Int) throws -> Int { try Personnummer(text, currentYear: currentYear).birthDate.year }
        #expect(try year("250101-9216", 2026) == 2025)  // 1925 would be 101 this year
        #expect(try year("2501019216", 2026) == 2025)
        #expect(try year("250101-9216", 2025) == 2025)  // 1925 would turn 100: not younger than 100
        #expect(try year("250101-9216", 2024) == 1925)  // 2025 is in the future; 1925 is 99
        #expect(try year("250101+9216", 2026) == 1925)  // 101: '+'
        #expect(try year("250101+9216", 2025) == 1925)  // exactly 100 this year: '+'
        #expect(try year("250101+9216", 2024) == 1825)  // 1925 would be 99, so '+' means 1825
        // A number born this very year is 0 years old.
        #expect(try year("230101-2395", 2023) == 2023)
        #expect(try year("2301012395", 2122) == 2023)  // 99 in 2122
        #expect(try year("230101+2395", 2123) == 2023)  // 100 in 2123
    }

    @Test func sexComesFromTheNinthDigit() throws {
        #expect(try Personnummer("199001012385", currentYear: 2026).sex == .female)  // 8
        #expect(try Personnummer("199009132391", currentYear: 2026).sex == .male)  // 9
    }

    @Test func birthDateAndSexComeFromTheDigits() throws {
        let p = try Personnummer("199001012385", currentYear: 2026)
        #expect(p.birthDate == Day(year: 1990, month: 1, day: 1))
        #expect(p.sex == .female)  // ninth digit 8
        let leap = try Personnummer("200002292399", currentYear: 2026)
        #expect(leap.birthDate == Day(year: 2000, month: 2, day: 29))
        #expect(leap.sex == .male)  // ninth digit 9
        // Samordningsnummer: day + 60; unknown month → 1 July; unknown day (60) → the 15th.
        let coordination = try Personnummer("191401682396", currentYear: 2026)  // 1914-01-08
        #expect(coordination.isSamordningsnummer)
        #expect(coordination.birthDate == Day(year: 1914, month: 1, day: 8))
        #expect(coordination.sex == .male)  // 9
        #expect(try Personnummer("191500722390", currentYear: 2026).birthDate == Day(year: 1915, month: 7, day: 12))
        #expect(try Personnummer("201812602397", currentYear: 2026).birthDate == Day(year: 2018, month: 12, day: 15))
        #expect(try Personnummer("201800852384", currentYear: 2026).birthDate == Day(year: 2018, month: 7, day: 25))
        // Sex follows the ninth of the ten digits across the whole list.
        for p in Spec.testPersonnummer.prefix(3000) {
            let ninth = Int(String(Array(p.twelveDigits)[10]))!
            #expect(p.sex == (ninth % 2 == 1 ? .male : .female))
        }
        // An explicit sex wins over the number's.
        let facts = ParticipantFacts(
            person: p, sex: .male, municipality: Spec.haninge, firstPermitDate: Spec.day("2017-01-01"),
            registeredOn: Spec.day("2017-01-01"), upperSecondaryCompleted: false)
        #expect(facts.sex == .male)
        #expect(Spec.person(p).sex == .female)
    }

    @Test func errorsSayWhatIsWrong() {
        func reason(_ text: String) -> String {
            do {
                _ = try Personnummer(text, currentYear: 2026)
                return "accepted"
            } catch { return error.description }
        }
        #expect(reason("199001012386") == "check digit should be 5")
        #expect(reason("19900230-2384") == "no day 30 in February")
        #expect(reason("19000229-2385").hasPrefix("no day 29 in February 1900"))
        #expect(reason("19901301-2385") == "there is no month 13")
        #expect(reason("19900101238") == "expected 10 or 12 digits, found 11")
        #expect(reason("1990O101-2385") == "unexpected character 'O' at position 5")
        #expect(reason("1990010-12385") == "the separator must stand before the last four digits")
        #expect(reason("19900101+2385") == "'+' (aged 100 or more) is only used with ten digits")
        #expect(reason("19900001-2385") == "month 00 is only allowed in a samordningsnummer")
        #expect(reason("19900100-2385") == "day 00 is only allowed in a samordningsnummer")
        #expect(reason("19900192-2385") == "no day 32 in January")
    }

    @Test func errorsNameWhatIsWrong() {
        // 19900101-238?: Luhn over 900101238 gives 5.
        #expect(reason("19900101-2386") == "check digit should be 5")
        #expect(reason("199001012380") == "check digit should be 5")
        // 1890-01-01-980: 9,0,0,1,0,1,9,8,0 weighted 2,1,2,… → 9+0+0+1+0+1+9+8+0 = 28 → 2.
        #expect(reason("189001019803") == "check digit should be 2")
        #expect(reason("19900230-2385") == "no day 30 in February")
        #expect(reason("19900229-2385") == "no day 29 in February 1990")
        #expect(reason("19900431-2385") == "no day 31 in April")
        #expect(reason("19901301-2385") == "there is no month 13")
        #expect(reason("19900001-2385") == "month 00 is only allowed in a samordningsnummer")
        #expect(reason("19900100-2385") == "day 00 is only allowed in a samordningsnummer")
        #expect(reason("19900192-2385") == "no day 32 in January")  // 92 − 60 = 32
        #expect(reason("900101-238") == "expected 10 or 12 digits, found 9")
        #expect(reason("19900101238") == "expected 10 or 12 digits, found 11")
        #expect(reason("1990010123855") == "expected 10 or 12 digits, found 13")
        #expect(reason("") == "expected 10 or 12 digits, found 0")
        #expect(reason("19900101 2385") == "unexpected character ' ' at position 9")
        #expect(reason("199A0101-2385") == "unexpected character 'A' at position 4")
        #expect(reason("900101--2385").hasPrefix("unexpected character '-'"))
        #expect(reason("90010-12385") == "the separator must stand before the last four digits")
        #expect(reason("19900101+2385") == "'+' (aged 100 or more) is only used with ten digits")
    }

    @Test func organisationsnummerOfTheSeedAreValid() throws {
        for text in ["202100-2114", "222000-2162", "212000-0084", "212000-0233", "212000-0092", "202 100 2114", "2120000084"] {
            #expect(throws: Never.self) { try Organisationsnummer(text) }
        }
        #expect(try Organisationsnummer("212 000-0084").description == "212000-0084")
        #expect(throws: IdentityNumberError.checkDigit(expected: 4, actual: 5)) { try Organisationsnummer("212000-0085") }
        #expect(throws: IdentityNumberError.wrongLength(digits: 9)) { try Organisationsnummer("212000-008") }
        // Found by schemathesis: thirty digits used to overflow and stop the server.
        #expect(throws: IdentityNumberError.wrongLength(digits: 11)) { try Organisationsnummer(String(repeating: "9", count: 30)) }
    }

    @Test func organisationsnummerOfTheSeed() throws {
        for text in ["202100-2114", "222000-2162", "212000-0084", "212000-0233", "212000-0092"] {
            let org = try Organisationsnummer(text)
            #expect(org.description == text)
        }
        #expect(try Organisationsnummer("2120000084") == Organisationsnummer("212000-0084"))
        // 212000-008?: 2,1,2,0,0,0,0,0,8 weighted 2,1,2,… → 4+1+4+0+0+0+0+0+(16→7) = 16 → 4.
        #expect(throws: IdentityNumberError.checkDigit(expected: 4, actual: 5)) { try Organisationsnummer("212000-0085") }
        #expect(IdentityNumberError.checkDigit(expected: 4, actual: 5).description == "check digit should be 4")
        #expect(throws: IdentityNumberError.self) { try Organisationsnummer("212000-00841") }
        #expect(throws: IdentityNumberError.self) { try Organisationsnummer("21200O-0084") }
    }

    @Test func kommunkoderAreSCBs() throws {
        let rows = try lines(of: "kommuner.csv")
        #expect(rows.count == 290)
        for row in rows {
            let fields = row.split(separator: ";")
            let code = try Kommunkod(String(fields[0]))
            #expect(code.description == fields[0])
            #expect(code.name == fields[1])
        }
        #expect(try Kommunkod("0136").name == "Haninge")
        #expect(throws: ReferenceCodeError.unknownKommunkod("0999")) { try Kommunkod("0999") }
        #expect(throws: ReferenceCodeError.kommunkodShape("136")) { try Kommunkod("136") }
    }

    @Test func kommunkoderAreTheTwoHundredNinetyOfSCB() throws {
        let rows = try Spec.rows("kommuner.csv")
        #expect(rows.count == 290)
        var accepted = 0
        for row in rows {
            let fields = row.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
            let code = try Kommunkod(fields[0])
            #expect(code.description == fields[0])
            #expect(code.name == fields[1])
            accepted += 1
        }
        #expect(accepted == 290)
        #expect(Kommunkod.all.count == 290)
        #expect(try Kommunkod("0136").name == "Haninge")
        #expect(try Kommunkod("0138").name == "Tyresö")
        #expect(try Kommunkod("0192").name == "Nynäshamn")
        #expect(try Kommunkod("0484").name == "Eskilstuna")
        #expect(try Kommunkod("0486").name == "Strängnäs")
        #expect(throws: ReferenceCodeError.unknownKommunkod("0999")) { try Kommunkod("0999") }
        #expect(throws: ReferenceCodeError.kommunkodShape("abc")) { try Kommunkod("abc") }
        #expect(throws: ReferenceCodeError.kommunkodShape("136")) { try Kommunkod("136") }
        #expect(throws: ReferenceCodeError.kommunkodShape("01361")) { try Kommunkod("01361") }
        #expect(throws: ReferenceCodeError.self) { try Kommunkod("0000") }
    }

    @Test func ssykCodesHaveTheirShapeAndExist() throws {
        for row in try lines(of: "ssyk2012.csv") {
            #expect(throws: Never.self) { try SSYKCode(String(row.prefix(4))) }
        }
        #expect(try SSYKCode("5330").label == "Vårdbiträden")
        #expect(throws: ReferenceCodeError.ssykShape("533")) { try SSYKCode("533") }
        #expect(throws: ReferenceCodeError.unknownSSYK("0000")) { try SSYKCode("0000") }
    }

    @Test func ssykCodesAreFourDigitGroupsOfTheList() throws {
        let rows = try Spec.rows("ssyk2012.csv")
        #expect(rows.count > 400)
        for row in rows {
            let fields = row.split(separator: ";", maxSplits: 1).map(String.init)
            let code = try SSYKCode(fields[0])
            #expect(code.description == fields[0])
            #expect(code.label == fields[1])
        }
        #expect(try SSYKCode("5330").label == "Vårdbiträden")
        #expect(throws: ReferenceCodeError.ssykShape("533")) { try SSYKCode("533") }
        #expect(throws: ReferenceCodeError.ssykShape("53301")) { try SSYKCode("53301") }
        #expect(throws: ReferenceCodeError.ssykShape("53a0")) { try SSYKCode("53a0") }
        #expect(throws: ReferenceCodeError.unknownSSYK("0000")) { try SSYKCode("0000") }
    }

    @Test func agreementsAreValidatedWithPaths() throws {
        // The example agreement is valid and keeps the tracks in order.
        #expect(Spec.example.tracks.map(\.code) == ["vard", "barn", "bygg", "unga"])
        #expect(Spec.example.municipalities.map(\.description) == ["0136", "0138", "0192"])
        #expect(Spec.example.maxEstablishmentDays == 730)
        // Bad organisation number, bad kommunkod and unknown SSYK are all reported.
        let json = """
            {"id": "x", "title": "X", "validFrom": "2018-01-01",
             "parties": [{"orgNumber": "212000-0085", "name": "H", "kind": "municipality", "municipalityCode": "0999"}],
             "tracks": [{"code": "a", "name": "A", "kind": "vocational", "ssyk": ["0000"]}]}
            """
        do {
            _ = try Agreement.parse(json: Data(json.utf8))
            Issue.record("accepted a bad agreement")
        } catch {
            let paths = error.problems.map(\.path)
            #expect(paths.contains("parties[0].orgNumber"))
            #expect(paths.contains("parties[0].municipalityCode"))
            #expect(paths.contains("tracks[0].ssyk[0]"))
            #expect(error.problems.first { $0.path == "parties[0].orgNumber" }?.reason.contains("check digit should be 4") == true)
        }
    }
}
