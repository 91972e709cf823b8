/// The version `journeys --version` prints: the last issue whose work it holds, and `-dev`
/// while the next one is under way.
public enum JourneysVersion {
    public static let string = "0.12.0-dev"
}
