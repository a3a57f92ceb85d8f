import Foundation

extension ShownReport {
    /// A stored document (a quarter's close in either form, or a publication) read back as the
    /// pages show it. Only what the document holds is read: nothing is counted again, and a
    /// hidden figure stays hidden. The cost lines, which are the agreement's and not figures,
    /// are left out. `nil` when the text is not such a document.
    public init?(stored text: String, threshold: Int?) {
        guard let root = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let agreement = root["agreement"] as? String, let year = root["year"] as? Int,
            let asOf = (root["asOf"] as? String).flatMap({ try? Day(iso: $0) }), let p = root["participants"] as? [String: Any],
            let e = root["establishment"] as? [String: Any]
        else { return nil }
        func figure(_ v: Any?) -> Figure {
            if let s = v as? String { return .hidden(s) }
            if let n = v as? Int { return .value(n) }
            return .value(0)
        }
        func double(_ v: Any?) -> Double? { (v as? NSNumber).map(\.doubleValue) }
        self.agreement = agreement
        self.year = year
        self.asOf = asOf
        participants = Participants(
            active: figure(p["active"]), female: figure(p["female"]), male: figure(p["male"]), targetGroupA: figure(p["targetGroupA"]),
            targetGroupB: figure(p["targetGroupB"]))
        recruitmentShare = double(root["recruitmentShare"])
        tracks = (root["tracks"] as? [[String: Any]] ?? []).map { t in
            let goal = (t["genderGoal"] as? [String: Any]).flatMap { g -> GenderGoal? in
                guard let sex = (g["sex"] as? String).flatMap(Sex.init(rawValue:)), let target = double(g["target"]) else { return nil }
                return GenderGoal(sex: sex, target: target, share: double(g["share"]))
            }
            return Track(
                code: t["code"] as? String ?? "", name: t["name"] as? String ?? "", events: TrackEventKind.allCases.map { figure(t[$0.rawValue]) },
                acceptanceShare: double(t["acceptanceShare"]), completionShare: double(t["completionShare"]), outcomeShare: double(t["outcomeShare"]),
                genderGoal: goal)
        }
        let goalDays = e["goalDays"] as? Int ?? 730
        let median = e["kmMedianDays"] as? Int
        let followUp = root["followUp"] as? [String: Any]
        let overall = followUp?["overallGoalMet"] as? Bool
        establishment = Establishment(
            population: figure(e["population"]), measurable: figure(e["measurable"]), establishedWithinGoal: figure(e["establishedWithinGoal"]),
            shareWithinGoal: double(e["shareWithinGoal"]), kmShareWithinGoal: double(e["kmShareWithinGoal"]), kmMedianDays: median, goalDays: goalDays,
            overallGoalMet: overall, overallGoalHidden: threshold != nil && overall == nil && median == nil && figure(e["population"]).value == nil)
        municipalities = (root["municipalities"] as? [[String: Any]] ?? []).compactMap { m in
            guard let code = (m["code"] as? String).flatMap({ try? Kommunkod($0) }) else { return nil }
            return Municipality(code: code, active: figure(m["active"]))
        }
        self.threshold = (root["suppressed"] as? Bool) == true ? (threshold ?? Suppression.defaultThreshold) : nil
        agreementVersion = root["agreementVersion"] as? Int
        scope = root["scope"] as? String
        quarter = (root["quarter"] as? String).flatMap { Quarter($0) }
        kaplanMeierSteps = ((root["kaplanMeier"] as? [String: Any])?["steps"] as? [[String: Any]])?.compactMap { s in
            guard let days = s["days"] as? Int, let survival = double(s["survival"]), let events = s["events"] as? Int else { return nil }
            return KaplanMeierStep(days: days, survival: survival, events: events)
        }
        self.followUp = followUp.map { f in
            let names = Dictionary(tracks.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
            return FollowUpFigures(
                overallGoalMet: overall,
                subGoals: (f["subGoals"] as? [[String: Any]] ?? []).compactMap { g in
                    guard let goal = (g["goal"] as? String).flatMap(FollowUp.SubGoal.init(rawValue:)), let target = double(g["target"]) else { return nil }
                    let track = g["track"] as? String
                    return SubGoal(goal: goal, track: track, trackName: track.flatMap { names[$0] }, share: double(g["share"]), target: target)
                },
                activities: (f["activities"] as? [[String: Any]] ?? []).map { a in
                    Activity(kind: a["kind"] as? String ?? "", participants: figure(a["participants"]), hours: double(a["hours"]))
                }, costs: [], totals: Agreement.CostTotals(byParty: [], bySource: [], total: 0, spent: 0), partyNames: [:])
        }
    }
}
