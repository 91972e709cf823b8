import Foundation
import JourneysPipeline
import JourneysStages
import Testing

@Suite struct DefaultPipelineTests {
    @Test func writtenOutDefaultEqualsTheBuiltInDefaults() throws {
        let text = try String(contentsOf: repo.appendingPathComponent("pipelines/default.yaml"), encoding: .utf8)
        let c = try PipelineConfig.parse(text, file: "pipelines/default.yaml")
        #expect(c.sources.isEmpty)
        #expect(c.journey == JourneyConfig())
        #expect(c.identity == PipelineConfig().identity)
        #expect(c.outputs == OutputsConfig())
    }
}
