import Foundation

/// Mutation testing of the access decisions (issue 7, part 9; `scripts/mutants`). Every
/// decision that guards secrecy asks ``flips(_:)`` with its own name; `scripts/mutants` runs
/// the access tests once per name with `SAMSPAR_MUTANT=name`, which turns that one decision
/// around, and lists the names no test caught.
///
/// Compiled into debug builds only: in a release build ``flips(_:)`` is a constant `false`,
/// so nothing of this reaches production. This is the one place besides the configuration
/// that reads the environment, and only in a debug build.
public enum Mutant {
    #if DEBUG
        private static let active: String? = ProcessInfo.processInfo.environment["SAMSPAR_MUTANT"]

        /// True when the test harness turned decision `name` around.
        @inline(__always) public static func flips(_ name: String) -> Bool { active == name }
    #else
        @inline(__always) public static func flips(_ name: String) -> Bool { false }
    #endif

    /// `value`, or its opposite while decision `name` is turned around.
    @inline(__always) public static func decide(_ name: String, _ value: Bool) -> Bool { flips(name) ? !value : value }
}
