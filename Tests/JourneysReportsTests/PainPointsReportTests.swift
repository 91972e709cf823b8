import Testing
import JourneysCore
import JourneysStages
@testable import JourneysReports

@Suite struct PainPointsReportTests {
    @Test func byKindAndStage() {
        let t = at(4, 9)
        let a = journey("a", painPoints: [PainPoint(kind: .slowPage, stage: "consideration", time: t, touchpoint: 0),
                                          PainPoint(kind: .slowPage, stage: "consideration", time: t + 1, touchpoint: 0),
                                          PainPoint(kind: .slowPage, stage: "awareness", time: t, touchpoint: 0),
                                          PainPoint(kind: .abandonedCart, stage: "decision", time: t, touchpoint: 0)])
        let b = journey("b", painPoints: [PainPoint(kind: .slowPage, stage: "consideration", time: t, touchpoint: 0),
                                          PainPoint(kind: .emailBounce, stage: "", time: t, touchpoint: 0)])
        // abandoned_cart/decision: 1 occurrence, 1 person; email_bounce/(no stage): 1, 1;
        // slow_page/awareness: 1, 1; slow_page/consideration: a 2 + b 1 = 3 occurrences, 2 persons.
        // Kinds by name; stages in stage order (awareness before consideration).
        #expect(csvLines(PainPointsReport(journeys: [a, b], config: JourneyConfig()).table) == [
            "abandoned_cart,decision,1,1",
            "email_bounce,,1,1",
            "slow_page,awareness,1,1",
            "slow_page,consideration,3,2",
        ])
    }
}
