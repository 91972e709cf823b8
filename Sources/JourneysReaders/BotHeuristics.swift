/// Non-person user agents that the maintained list (`BotPatterns`, generated from
/// crawler-user-agents) does not name, by family, as data: each family's lower-cased literals,
/// matched anywhere in the lower-cased user agent (`substrings`) or at its start (`prefixes`),
/// through the same index as the maintained list. Add a literal to its family here; each family
/// has a test of real user agents in UserAgentTests.
///
/// Every literal is chosen so that no browser's user agent holds it: `bot/` and not `bot`
/// (`CUBOT_X30` is a phone), `crawler` and `spider` (no browser or device is called so), and the
/// `+http://` that crawlers put before the page about them.
enum BotHeuristics {
    struct Family: Sendable {
        let name: String
        let substrings: [String]
        let prefixes: [String]
    }

    static let families: [Family] = [
        Family(name: "health checks and probes",
               substrings: ["kube-probe/", "elb-healthchecker/", "googlehc/", "consul health check", "health check",
                            "healthcheck", "health-check", "blackbox exporter", "blackbox-exporter", "nagios", "check_http",
                            "monitoring-plugins", "site24x7", "statuscake", "newrelicpinger", "better uptime", "hetrixtools",
                            "cloudflare-healthchecks", "azure traffic manager endpoint monitor", "alwaysonline"],
               prefixes: []),
        Family(name: "metrics and observability agents",
               substrings: ["prometheus/", "datadog agent", "datadog/synthetics", "datadogsynthetics", "metricbeat", "heartbeat/",
                            "elastic-heartbeat", "telegraf", "grafana k6", "zabbix", "checkmk", "icinga", "munin"],
               prefixes: []),
        Family(name: "feed readers",
               substrings: ["feed fetcher", "feedfetcher", "feed-fetcher", "feedbin", "inoreader", "newsblur", "miniflux/",
                            "freshrss/", "tiny tiny rss", "feedparser", "rss reader", "feedburner", "theoldreader", "netnewswire",
                            "feedspot", "feedwind", "liferea"],
               prefixes: []),
        Family(name: "HTTP libraries and tools",
               substrings: [],
               prefixes: ["java/", "okhttp/", "go-http-client/", "python-urllib/", "python-requests/", "python-httpx/",
                          "aiohttp/", "axios/", "node-fetch/", "undici", "got (", "reqwest/", "libwww-perl/", "httpie/",
                          "guzzlehttp/", "rest-client/", "faraday v", "ruby", "dart:io", "insomnia/", "postmanruntime/"]),
        Family(name: "self-declared robots",
               substrings: ["bot/", "crawler", "spider", "scraper", "+http://", "+https://", "robot"],
               prefixes: []),
    ]

    static var substrings: [String] { families.flatMap(\.substrings) }
    static var prefixes: [String] { families.flatMap(\.prefixes) }
}
