import PropertyBased
import Testing

@testable import SamsparDomain

@Suite("Calendar days")
struct CoreDayTests {
    @Test func isoParsingNamesWhatIsWrong() {
        #expect(throws: DateError.noSuchDay(day: 29, month: 2, year: 2019)) { try Day(iso: "2019-02-29") }
        #expect(throws: Never.self) { try Day(iso: "2020-02-29") }
        #expect(throws: DateError.noSuchMonth(13)) { try Day(iso: "2018-13-01") }
        #expect(throws: DateError.notISO("2018-1-01")) { try Day(iso: "2018-1-01") }
        #expect(throws: DateError.notISO("18-01-2018")) { try Day(iso: "18-01-2018") }
        #expect(DateError.noSuchDay(day: 31, month: 4, year: 2018).description == "no day 31 in April")
    }

    @Test func calendarMonthsClampToTheMonthsLastDay() {
        let d = { (y: Int, m: Int, day: Int) in Day(year: y, month: m, day: day)! }
        #expect(d(2019, 1, 31).adding(months: 1) == d(2019, 2, 28))
        #expect(d(2020, 1, 31).adding(months: 1) == d(2020, 2, 29))
        #expect(d(2016, 2, 29).adding(months: 36) == d(2019, 2, 28))
        #expect(d(2016, 2, 29).adding(months: 48) == d(2020, 2, 29))
        #expect(d(2018, 8, 31).adding(months: 36) == d(2021, 8, 31))
        #expect(d(2018, 3, 31).adding(months: -1) == d(2018, 2, 28))
        #expect(d(2018, 12, 15).adding(months: 1) == d(2019, 1, 15))
        #expect(d(2019, 3, 1) - d(2019, 2, 1) == 28)
        #expect(d(2020, 3, 1) - d(2020, 2, 1) == 29)
        #expect(d(1970, 1, 1).ordinal == 0)
        #expect(d(2018, 1, 1).description == "2018-01-01")
    }

    @Test func componentsRoundTrip() async {
        await propertyCheck(input: Gen.int(in: -300_000...300_000)) { n in
            let day = Day(ordinal: Int32(n))
            let (y, m, d) = day.components
            #expect(Day(year: y, month: m, day: d) == day)
            #expect((try? Day(iso: day.description)) == day)
        }
    }
}
