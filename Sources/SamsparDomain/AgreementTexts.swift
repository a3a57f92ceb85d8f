/// The agreement's own words and its time plan (issue 26).
///
/// `texts` holds, per section of the document, the wording the parties signed in place of the
/// standard sentence there (SPEC §4): the seed's "Lokala övergripande mål för respektive
/// yrkesspår avseende deltagare 2018" where the product would write its own lead-in. The
/// document prints such words exactly as written. The time plan is the dated milestones a
/// decision memo (tjänsteskrivelse) shows under *Tidplan*; signing never waits for it.
extension Agreement {
    public struct Texts: Sendable, Equatable {
        /// The lead-in of §3's local goals.
        public var localGoals: String?
        /// The lead-in of §3's sub-goals.
        public var subGoals: String?
        /// §4's commitment to the model.
        public var model: String?
        /// §5, the follow-up commitment.
        public var followUp: String?
        /// §6, how long the agreement runs.
        public var duration: String?

        public init(localGoals: String? = nil, subGoals: String? = nil, model: String? = nil, followUp: String? = nil, duration: String? = nil) {
            self.localGoals = localGoals
            self.subGoals = subGoals
            self.model = model
            self.followUp = followUp
            self.duration = duration
        }

        /// The keys of SPEC §4, in the document's order.
        public static let keys = ["localGoals", "subGoals", "model", "followUp", "duration"]

        public subscript(key: String) -> String? {
            get {
                switch key {
                case "localGoals": localGoals
                case "subGoals": subGoals
                case "model": model
                case "followUp": followUp
                case "duration": duration
                default: nil
                }
            }
            set {
                switch key {
                case "localGoals": localGoals = newValue
                case "subGoals": subGoals = newValue
                case "model": model = newValue
                case "followUp": followUp = newValue
                case "duration": duration = newValue
                default: break
                }
            }
        }

        public var isEmpty: Bool { Self.keys.allSatisfy { self[$0] == nil } }
    }

    /// One dated step of the time plan ("2017-11-13: överenskommelsen undertecknas").
    public struct Milestone: Sendable, Equatable {
        public var date: Day
        public var milestone: String

        public init(date: Day, milestone: String) {
            self.date = date
            self.milestone = milestone
        }
    }

    /// The longest a text of the agreement may be: a page and a half of prose.
    public static let maxTextLength = 4000
}
