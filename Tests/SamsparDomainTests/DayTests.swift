import Foundation
import PropertyBased
import Testing

@testable import SamsparDomain

/// Calendar dates: the only kind of date SPEC §3 knows.
@Suite("Calendar days")
struct DayTests {
    private func d(_ y: Int, _ m: Int, _ day: Int) -> Day { Day(year: y, month: m, day: day)! }

    @Test func isoParsingNamesWhatIsWrong() throws {
        #expect(try Day(iso: "2018-01-01") == d(2018, 1, 1))
        #expect(try Day(iso: "2020-02-29") == d(2020, 2, 29))
        #expect(try Day(iso: "2000-02-29") == d(2000, 2, 29))
        #expect(throws: DateError.noSuchDay(day: 29, month: 2, year: 1900)) { try Day(iso: "1900-02-29") }
        #expect(throws: DateError.noSuchDay(day: 29, month: 2, year: 2019)) { try Day(iso: "2019-02-29") }
        #expect(throws: DateError.noSuchDay(day: 31, month: 6, year: 2018)) { try Day(iso: "2018-06-31") }
        #expect(throws: DateError.noSuchDay(day: 0, month: 1, year: 2018)) { try Day(iso: "2018-01-00") }
        #expect(throws: DateError.noSuchMonth(13)) { try Day(iso: "2018-13-01") }
        #expect(throws: DateError.noSuchMonth(0)) { try Day(iso: "2018-00-10") }
        for bad in ["2018-1-01", "2018/01/01", "20180101", "18-01-01", "2018-01-01 ", " 2018-01-01", "2018-01-1x", "", "2018-01-011"] {
            #expect(throws: DateError.notISO(bad)) { try Day(iso: bad) }
        }
        #expect(DateError.noSuchDay(day: 30, month: 2, year: 2018).description == "no day 30 in February")
        #expect(DateError.noSuchDay(day: 29, month: 2, year: 2019).description == "no day 29 in February 2019")
        #expect(DateError.noSuchMonth(13).description == "there is no month 13")
    }

    @Test func isoParsingNamesEachKindOfError() {
        #expect(throws: DateError.noSuchDay(day: 29, month: 2, year: 2019)) { try Day(iso: "2019-02-29") }
        #expect(throws: Never.self) { try Day(iso: "2020-02-29") }
        #expect(throws: DateError.noSuchMonth(13)) { try Day(iso: "2018-13-01") }
        #expect(throws: DateError.notISO("2018-1-01")) { try Day(iso: "2018-1-01") }
        #expect(throws: DateError.notISO("18-01-2018")) { try Day(iso: "18-01-2018") }
        #expect(DateError.noSuchDay(day: 31, month: 4, year: 2018).description == "no day 31 in April")
    }

    @Test func leapYears() {
        #expect(Day.isLeap(2016) && Day.isLeap(2020) && Day.isLeap(2000) && Day.isLeap(2400))
        #expect(!Day.isLeap(2018) && !Day.isLeap(1900) && !Day.isLeap(2100))
        #expect(Day.lastOfYear(2016) - Day.firstOfYear(2016) == 365)
        #expect(Day.lastOfYear(2018) - Day.firstOfYear(2018) == 364)
        #expect(d(2016, 3, 1) - d(2016, 2, 28) == 2)
        #expect(d(2018, 3, 1) - d(2018, 2, 28) == 1)
        #expect(d(2018, 3, 1) - d(2016, 3, 1) == 730)
    }

    @Test func calendarMonthsClampToTheLastDayOfTheTargetMonth() {
        #expect(d(2018, 1, 31).adding(months: 1) == d(2018, 2, 28))
        #expect(d(2016, 1, 31).adding(months: 1) == d(2016, 2, 29))
        #expect(d(2016, 2, 29).adding(months: 36) == d(2019, 2, 28))
        #expect(d(2016, 2, 29).adding(months: 12) == d(2017, 2, 28))
        #expect(d(2016, 2, 29).adding(months: 48) == d(2020, 2, 29))
        #expect(d(2015, 3, 31).adding(months: 36) == d(2018, 3, 31))
        #expect(d(2015, 5, 31).adding(months: 1) == d(2015, 6, 30))
        #expect(d(2015, 8, 31).adding(months: 3) == d(2015, 11, 30))
        #expect(d(2015, 1, 30).adding(months: 1) == d(2015, 2, 28))
        #expect(d(2015, 12, 31).adding(months: 36) == d(2018, 12, 31))
        #expect(d(2015, 11, 15).adding(months: 2) == d(2016, 1, 15))
        #expect(d(2018, 3, 31).adding(months: -1) == d(2018, 2, 28))
        #expect(d(2018, 1, 15).adding(months: -1) == d(2017, 12, 15))
        #expect(d(2018, 5, 5).adding(months: 0) == d(2018, 5, 5))
        #expect(d(2000, 2, 29).adding(years: 16) == d(2016, 2, 29))
        #expect(d(2000, 2, 29).adding(years: 17) == d(2017, 2, 28))
        // Found by the Foundation comparison below: a leap day reached backwards across a century.
        #expect(d(2124, 11, 29).adding(months: -57) == d(2120, 2, 29))
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

    @Test func textAndOrdinals() {
        #expect(d(1970, 1, 1).ordinal == 0)
        #expect(d(1969, 12, 31).ordinal == -1)
        #expect(d(2018, 1, 1).ordinal == 17_532)
        #expect(d(2018, 3, 5).description == "2018-03-05")
        #expect(d(999, 12, 31).description == "0999-12-31")
        #expect(Day(year: 2018, month: 2, day: 29) == nil)
        #expect(Day(year: 2018, month: 13, day: 1) == nil)
        #expect(d(2018, 12, 31).adding(days: 1) == d(2019, 1, 1))
    }

    @Test func componentsRoundTrip() async {
        await propertyCheck(input: Gen.int(in: -300_000...300_000)) { n in
            let day = Day(ordinal: Int32(n))
            let (y, m, d) = day.components
            #expect(Day(year: y, month: m, day: d) == day)
            #expect((try? Day(iso: day.description)) == day)
        }
    }

    @Test func ordinalsRoundTripThroughComponentsAndText() async {
        await propertyCheck(count: 500, input: Gen.int(in: -700_000...2_900_000)) { n in
            let day = Day(ordinal: Int32(n))
            let (y, m, dd) = day.components
            #expect(Day(year: y, month: m, day: dd) == day)
            #expect((try? Day(iso: day.description)) == day)
            // The next day is the next calendar date.
            let next = day.adding(days: 1).components
            if dd < Day.daysIn(month: m, year: y) {
                #expect(next == (y, m, dd + 1))
            } else if m < 12 {
                #expect(next == (y, m + 1, 1))
            } else {
                #expect(next == (y + 1, 1, 1))
            }
        }
    }

    @Test func agreesWithFoundationsGregorianCalendar() async {
        let calendar = {
            var c = Calendar(identifier: .gregorian)
            c.timeZone = TimeZone(identifier: "UTC")!
            return c
        }()
        let epoch = Date(timeIntervalSince1970: 0)
        await propertyCheck(count: 300, input: Gen.int(in: -100_000...150_000), Gen.int(in: -60...60)) { n, months in
            let day = Day(ordinal: Int32(n))
            let date = epoch.addingTimeInterval(Double(n) * 86_400)
            let c = calendar.dateComponents([.year, .month, .day], from: date)
            #expect(day.components == (c.year!, c.month!, c.day!))
            // Calendar-month arithmetic: same day in the target month, clamped to its length.
            // The oracle is built from Foundation's month lengths and `date(from:)`, not from
            // `date(byAdding:)`: swift-foundation's month addition lands one day short on some
            // leap days (2124-11-29 − 57 months gives 2120-02-28, not 2120-02-29).
            let total = c.year! * 12 + (c.month! - 1) + months
            let year = Int((Double(total) / 12).rounded(.down))
            let month = total - year * 12 + 1
            let firstOfMonth = calendar.date(from: DateComponents(year: year, month: month, day: 1))!
            let length = calendar.range(of: .day, in: .month, for: firstOfMonth)!.count
            let shifted = calendar.date(from: DateComponents(year: year, month: month, day: min(c.day!, length)))!
            let expected = Int((shifted.timeIntervalSince1970 / 86_400).rounded())
            #expect(Int(day.adding(months: months).ordinal) == expected, "\(day) + \(months) months")
        }
    }
}
